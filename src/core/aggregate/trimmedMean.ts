import { AggregateInvalidTrimError } from './errors.ts';
import { gatherSorted } from './sortScratch.ts';
import { assertFiniteUpdates, assertSameLength } from './validate.ts';

/**
 * The coordinate-wise trimmed mean of equal-length f32 updates: per
 * coordinate, sort the n values, drop the `k = floor(beta * n)` lowest and
 * `k` highest, and average the rest: sum them in float64 in ascending order,
 * divide once by `n - 2k`, round to f32. Negative zero is treated as +0, so
 * the result does not depend on update order. With at most k outliers every
 * coordinate stays within the range of the honest values.
 *
 * Throws `AggregateInvalidTrimError` unless `0 <= beta < 0.5`, and
 * `AggregateEmptyError`, `AggregateLengthMismatchError`, `AggregateNonFiniteError`.
 */
export function trimmedMean(updates: readonly Float32Array[], beta: number): Float32Array {
  if (!(beta >= 0 && beta < 0.5)) throw new AggregateInvalidTrimError(beta);
  const length = assertSameLength(updates);
  assertFiniteUpdates(updates);
  const n = updates.length;
  const trim = Math.floor(beta * n);
  const end = n - trim;
  const kept = end - trim;
  const scratch = new Float64Array(n);
  const out = new Float32Array(length);
  for (let j = 0; j < length; j++) {
    gatherSorted(updates, j, scratch);
    let sum = 0;
    for (let i = trim; i < end; i++) sum += scratch[i]!;
    out[j] = sum / kept;
  }
  return out;
}
