/**
 * The root of every error Concord raises. Modelled on a small, explicit
 * hierarchy: each condition is its own class with a unique `name`, a short
 * message saying what was wrong, optional details, and what to do about it.
 * Tests assert on `name`, never on message text.
 */
export type BaseErrorParameters = {
  /** Extra facts that help a user (values, limits, ids). */
  details?: string | undefined;
  /** What the user can do to fix it. */
  hint?: string | undefined;
  /** The underlying error, if any. */
  cause?: unknown;
};

export class BaseError extends Error {
  override name = 'BaseError';
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly hint: string | undefined;
  /**
   * The HTTP status a request answers when it fails with this error, set by
   * each class whose cause is the request or a named condition (400 for bad
   * input, 409 for a refused transaction, ...); `undefined` means an internal
   * failure, answered 500 `INTERNAL`. The API decides no status otherwise.
   */
  readonly status: number | undefined = undefined;
  /** A stable machine-readable code, derived from the class name. */
  get code(): string {
    return this.name
      .replace(/Error$/, '')
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .toUpperCase();
  }

  constructor(shortMessage: string, params: BaseErrorParameters = {}) {
    const parts = [shortMessage];
    if (params.details) parts.push(`Details: ${params.details}`);
    if (params.hint) parts.push(`Hint: ${params.hint}`);
    super(parts.join('\n'), params.cause === undefined ? undefined : { cause: params.cause });
    this.shortMessage = shortMessage;
    this.details = params.details;
    this.hint = params.hint;
  }

  /** Walks the cause chain; returns the first error matching `fn`, or the deepest cause. */
  walk(fn?: (err: unknown) => boolean): unknown {
    return walkCauses(this, fn);
  }
}

function walkCauses(err: unknown, fn?: (err: unknown) => boolean): unknown {
  if (fn?.(err)) return err;
  if (err && typeof err === 'object' && 'cause' in err && err.cause !== undefined) {
    return walkCauses(err.cause, fn);
  }
  return fn ? null : err;
}
