import { BaseError } from '../core/errors.ts';

/** A devnet node process exited or timed out before it was up. */
export class DevnetNodeStartError extends BaseError {
  override name = 'DevnetNodeStartError';
}

/** `devnet down` or a CLI read found no devnet state in the directory. */
export class DevnetNotFoundError extends BaseError {
  override name = 'DevnetNotFoundError';
}

/** The devnet's demo task did not reach a final state in time. */
export class DevnetDemoTimeoutError extends BaseError {
  override name = 'DevnetDemoTimeoutError';
}

/** A node's HTTP API answered with an error status. */
export class NodeApiError extends BaseError {
  override name = 'NodeApiError';
}

/** A node's HTTP API could not be reached at all. */
export class NodeUnreachableError extends BaseError {
  override name = 'NodeUnreachableError';
}

/** A CLI argument that should be an EVM address is not one. */
export class InvalidAddressError extends BaseError {
  override name = 'InvalidAddressError';
}

/** `concord model show` found no such model file. */
export class ModelNotFoundError extends BaseError {
  override name = 'ModelNotFoundError';
}
