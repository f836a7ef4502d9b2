import { BaseError, type BaseErrorParameters } from '../core/errors.ts';

/** `devnet down` or a CLI read found no devnet state in the directory. */
export class DevnetNotFoundError extends BaseError {
  override name = 'DevnetNotFoundError';
}

/** The devnet's tasks (the training round) did not reach a final state in time. */
export class DevnetDemoTimeoutError extends BaseError {
  override name = 'DevnetDemoTimeoutError';
}

/** A node's HTTP API answered with an error status (`status`, and the node's error `apiCode` when it sent one). */
export class NodeApiError extends BaseError {
  override name = 'NodeApiError';
  override readonly status: number;
  readonly apiCode: string | undefined;

  constructor(
    shortMessage: string,
    params: BaseErrorParameters & { status: number; apiCode?: string | undefined },
  ) {
    super(shortMessage, params);
    this.status = params.status;
    this.apiCode = params.apiCode;
  }
}

/** A node's HTTP API could not be reached at all. */
export class NodeUnreachableError extends BaseError {
  override name = 'NodeUnreachableError';
}

/** A CLI argument that should be an EVM address is not one. */
export class InvalidAddressError extends BaseError {
  override name = 'InvalidAddressError';
}

/** A safetensors file that is neither a Concord checkpoint nor a Hugging Face GPT-2 checkpoint. */
export class NotAGptCheckpointError extends BaseError {
  override name = 'NotAGptCheckpointError';
}

/** A training round found no majority for its gradient tasks or its aggregate task. */
export class TrainingRoundError extends BaseError {
  override name = 'TrainingRoundError';
}

/** A training state file that cannot be read, or that belongs to another chain or model. */
export class TrainStateError extends BaseError {
  override name = 'TrainStateError';
}
