import { BaseError } from '../core/errors.ts';

/** The built page lacks an element the dashboard script needs (page and script from different builds). */
export class DashboardPageElementMissingError extends BaseError {
  override name = 'DashboardPageElementMissingError';
  constructor(id: string) {
    super(`The dashboard page has no element #${id}.`, {
      hint: 'Rebuild the page with `npm run build` and restart the node.',
    });
  }
}
