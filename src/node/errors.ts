import { BaseError, type BaseErrorParameters } from '../core/errors.ts';
import type { HealthChecks } from './health.ts';

/** A key file named with `--key` does not exist or cannot be read. */
export class KeyFileNotFoundError extends BaseError {
  override name = 'KeyFileNotFoundError';
}

/** A key file does not hold a valid secp256k1 private key (its content is never shown). */
export class KeyFileInvalidError extends BaseError {
  override name = 'KeyFileInvalidError';
}

/** A key or token file can be read by other users of the machine. */
export class KeyFilePermissionsError extends BaseError {
  override name = 'KeyFilePermissionsError';
}

/** The API token file exists but is malformed. */
export class ApiTokenInvalidError extends BaseError {
  override name = 'ApiTokenInvalidError';
}

/** A task's input blobs are not in this node's store, so no committee member could fetch them. */
export class TaskInputsMissingError extends BaseError {
  override name = 'TaskInputsMissingError';
  override readonly status = 400;
}

/** A task's windows, bond or stake slash are outside TaskMarket's protocol bounds (`limits()`). */
export class TaskTermsOutOfBoundsError extends BaseError {
  override name = 'TaskTermsOutOfBoundsError';
  override readonly status = 400;
}

/** Bytes registered as a peer id do not decode to a libp2p peer id. */
export class PeerIdBytesError extends BaseError {
  override name = 'PeerIdBytesError';
}

/** No provider could deliver a blob the node needs (every peer refused, failed or was unknown). */
export class BlobUnavailableError extends BaseError {
  override name = 'BlobUnavailableError';
}

/** The node's account cannot sign blob requests (it is not a local key). */
export class NodeSignerError extends BaseError {
  override name = 'NodeSignerError';
}

/** The chain shows a step of this node the journal missed, but its transaction cannot be found. */
export class JournalTxNotFoundError extends BaseError {
  override name = 'JournalTxNotFoundError';
}

/** The node's account is registered with another peer id than the node's peer key. */
export class PeerIdMismatchError extends BaseError {
  override name = 'PeerIdMismatchError';
}

/**
 * The node cannot serve the model asked for: no registered model has that
 * name, version or id, or the model is not ready yet on this node (loading,
 * or failed; the state and reason are in the details).
 */
export class ModelNotServedError extends BaseError {
  override name = 'ModelNotServedError';
}

/** A model version cannot be planned: no registered node holds active stake. */
export class ModelPlanEmptyError extends BaseError {
  override name = 'ModelPlanEmptyError';
}

/** The chain does not answer (HTTP 503 from `/health`, with every dependency's check). */
export class ChainUnreachableError extends BaseError {
  override name = 'ChainUnreachableError';
  override readonly status = 503;
  /** What `/health` checked, per dependency. */
  readonly checks: HealthChecks;
  constructor(shortMessage: string, params: { checks: HealthChecks } & BaseErrorParameters) {
    super(shortMessage, params);
    this.checks = params.checks;
  }
}

/** No provider delivered a verified leaf range of a model the node needs (every peer refused, failed or was unknown). */
export class PiecesUnavailableError extends BaseError {
  override name = 'PiecesUnavailableError';
}

/** The node's account lacks the ETH (gas) or CCD (stake) it needs to register or top up its stake. */
export class AccountUnfundedError extends BaseError {
  override name = 'AccountUnfundedError';
}
