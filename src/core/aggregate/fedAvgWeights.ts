import {
  AggregateInvalidWeightError,
  AggregateTotalWeightError,
  AggregateWeightCountError,
} from './errors.ts';
import { assertSameLength } from './validate.ts';

/** FedAvg's checked inputs: the common length, the weights as exact float64s, and their sum. */
export type FedAvgWeights = {
  readonly length: number;
  readonly weights: Float64Array;
  readonly divisor: number;
};

/**
 * Checks FedAvg's inputs (shared by the TypeScript and the WebAssembly path):
 * at least one update, equal lengths, one non-negative safe-integer weight per
 * update, a total in [1, 2^53). Throws `AggregateEmptyError`,
 * `AggregateLengthMismatchError`, `AggregateWeightCountError`,
 * `AggregateInvalidWeightError` or `AggregateTotalWeightError`.
 */
export function fedAvgWeights(
  updates: readonly Float32Array[],
  weights: readonly (number | bigint)[],
): FedAvgWeights {
  const length = assertSameLength(updates);
  const n = updates.length;
  if (weights.length !== n) throw new AggregateWeightCountError(weights.length, n);
  const w = new Float64Array(n);
  let total = 0n;
  for (let i = 0; i < n; i++) {
    const weight = weights[i]!;
    const valid = typeof weight === 'bigint' || Number.isSafeInteger(weight);
    if (!valid || weight < 0 || weight > Number.MAX_SAFE_INTEGER)
      throw new AggregateInvalidWeightError(i, weight);
    w[i] = Number(weight);
    total += BigInt(weight);
  }
  if (total === 0n || total > BigInt(Number.MAX_SAFE_INTEGER)) throw new AggregateTotalWeightError(total);
  return { length, weights: w, divisor: Number(total) };
}
