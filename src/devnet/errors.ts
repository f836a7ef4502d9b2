import { BaseError } from '../core/errors.ts';

/** A devnet node process exited or timed out before it was up. */
export class DevnetNodeStartError extends BaseError {
  override name = 'DevnetNodeStartError';
}

/** `concord model show` found no such model file. */
export class ModelNotFoundError extends BaseError {
  override name = 'ModelNotFoundError';
}

/** The gateway node did not report the devnet's new model version `ready` in time. */
export class DevnetModelNotReadyError extends BaseError {
  override name = 'DevnetModelNotReadyError';
}

/** The devnet's demo answer could not be obtained (no signer, or a stream without its final chunk). */
export class DevnetAnswerError extends BaseError {
  override name = 'DevnetAnswerError';
}
