import { gatherSorted } from './sortScratch.ts';
import { assertFiniteUpdates, assertSameLength } from './validate.ts';

/**
 * The coordinate-wise median of equal-length f32 updates. For an odd count
 * it is the middle value; for an even count the mean of the two middle
 * values `a <= b`, computed as `fround((a + b) / 2)` in float64. Negative
 * zero is treated as +0, so the result does not depend on update order.
 * Robust: with f outliers among n > 2f updates, every coordinate stays within
 * the range of the honest values.
 *
 * Throws `AggregateEmptyError`, `AggregateLengthMismatchError` and
 * `AggregateNonFiniteError`.
 */
export function coordinateMedian(updates: readonly Float32Array[]): Float32Array {
  const length = assertSameLength(updates);
  assertFiniteUpdates(updates);
  const n = updates.length;
  const scratch = new Float64Array(n);
  const out = new Float32Array(length);
  const upper = n >> 1;
  const lower = (n - 1) >> 1;
  for (let j = 0; j < length; j++) {
    gatherSorted(updates, j, scratch);
    out[j] = lower === upper ? scratch[upper]! : (scratch[lower]! + scratch[upper]!) / 2;
  }
  return out;
}
