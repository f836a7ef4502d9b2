import { BaseError } from '../errors.ts';

/**
 * Errors raised by the aggregation rules (FedAvg, coordinate median,
 * trimmed mean, Krum, Multi-Krum).
 */

/** An aggregation rule was given no updates. */
export class AggregateEmptyError extends BaseError {
  override name = 'AggregateEmptyError';
  constructor() {
    super('There are no updates to aggregate.', { hint: 'Pass at least one update.' });
  }
}

/** The updates do not all have the same number of parameters. */
export class AggregateLengthMismatchError extends BaseError {
  override name = 'AggregateLengthMismatchError';
  constructor(index: number, length: number, expected: number) {
    super(`Update ${index} has ${length} parameters, expected ${expected}.`, {
      hint: 'Every update of one round must cover the same parameters in the same order.',
    });
  }
}

/** An update holds NaN or an infinity. */
export class AggregateNonFiniteError extends BaseError {
  override name = 'AggregateNonFiniteError';
  constructor(index: number, position: number) {
    super(`Update ${index} holds a non-finite value at parameter ${position}.`, {
      hint: 'NaN and Inf are rejected at every boundary; drop or recompute this update.',
    });
  }
}

/** FedAvg got a different number of weights than updates. */
export class AggregateWeightCountError extends BaseError {
  override name = 'AggregateWeightCountError';
  constructor(weights: number, updates: number) {
    super(`Got ${weights} weights for ${updates} updates.`, { hint: 'Pass exactly one weight per update.' });
  }
}

/** A FedAvg weight is not a non-negative safe integer. */
export class AggregateInvalidWeightError extends BaseError {
  override name = 'AggregateInvalidWeightError';
  constructor(index: number, weight: number | bigint) {
    super(`Weight ${index} (${weight}) is not an integer in [0, 2^53).`, {
      hint: 'Weights are sample counts: non-negative integers whose sum stays below 2^53.',
    });
  }
}

/** The FedAvg weights sum to zero, or to more than can be represented exactly. */
export class AggregateTotalWeightError extends BaseError {
  override name = 'AggregateTotalWeightError';
  constructor(total: bigint) {
    super(`The weights sum to ${total}, which is not in [1, 2^53).`, {
      hint: 'Give at least one update a positive weight and keep the sum below 2^53.',
    });
  }
}

/** The trimming fraction of a trimmed mean is outside [0, 0.5). */
export class AggregateInvalidTrimError extends BaseError {
  override name = 'AggregateInvalidTrimError';
  constructor(beta: number) {
    super(`Trim fraction ${beta} is not in [0, 0.5).`, {
      hint: 'beta is the fraction dropped at each end per coordinate, e.g. 0.1.',
    });
  }
}

/** Krum's assumed number of Byzantine updates is not a non-negative integer with n > 2f + 2. */
export class AggregateByzantineBoundError extends BaseError {
  override name = 'AggregateByzantineBoundError';
  constructor(f: number, n: number) {
    super(`Krum cannot tolerate f = ${f} Byzantine updates among n = ${n}.`, {
      hint: 'Krum needs an integer f >= 0 with n > 2f + 2: collect more updates or lower f.',
    });
  }
}

/** Multi-Krum was asked to keep a number of updates outside [1, n]. */
export class AggregateInvalidSelectionError extends BaseError {
  override name = 'AggregateInvalidSelectionError';
  constructor(m: number, n: number) {
    super(`Multi-Krum cannot select m = ${m} of n = ${n} updates.`, {
      hint: 'Choose an integer m with 1 <= m <= n.',
    });
  }
}

/** The WebAssembly FedAvg module (generated/kernels/aggregate.wasm) could not be loaded. */
export class AggregateWasmUnavailableError extends BaseError {
  override name = 'AggregateWasmUnavailableError';
  constructor(cause: unknown) {
    super('The WebAssembly FedAvg module could not be loaded.', {
      cause,
      hint: 'Run `npm run build` to generate generated/kernels/aggregate.wasm, or call fedAvg, which falls back to TypeScript.',
    });
  }
}

/** A server step got a learning rate outside (0, MAX_SERVER_LR], or its result overflowed. */
export class AggregateServerStepError extends BaseError {
  override name = 'AggregateServerStepError';
  constructor(message: string) {
    super(message, {
      hint: 'Use a server learning rate in (0, 8]; 1 is plain aggregation, below 1 a shorter step from the base.',
    });
  }
}
