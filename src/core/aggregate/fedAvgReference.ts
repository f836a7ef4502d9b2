import { fedAvgWeights } from './fedAvgWeights.ts';
import { assertFiniteUpdates } from './validate.ts';

/** Coordinates processed per block: the float64 accumulator (16 KiB) stays in L1 cache. */
const BLOCK = 2048;

/**
 * FedAvg in TypeScript: the definition of the order documented on `fedAvg`
 * (same inputs, errors and bits). Coordinates are processed in cache-sized
 * blocks and eight updates per pass, which changes nothing in
 * that order.
 */
export function fedAvgReference(
  updates: readonly Float32Array[],
  weights: readonly (number | bigint)[],
): Float32Array {
  const { length, weights: w, divisor } = fedAvgWeights(updates, weights);
  const n = updates.length;
  const out = new Float32Array(length);
  const acc = new Float64Array(BLOCK);
  for (let start = 0; start < length; start += BLOCK) {
    const size = Math.min(BLOCK, length - start);
    acc.fill(0);
    let i = 0;
    for (; i + 8 <= n; i += 8) accumulateEight(acc, updates, w, i, start, size);
    for (; i < n; i++) accumulate(acc, updates[i]!, w[i]!, start, size);
    for (let k = 0; k < size; k++) {
      const sum = acc[k]!;
      // Finite inputs give a finite sum; NaN or ±Inf anywhere makes it non-finite (0 * Inf is NaN).
      if (sum - sum !== 0) assertFiniteUpdates(updates);
      out[start + k] = sum / divisor;
    }
  }
  return out;
}

/**
 * Adds updates `first .. first + 7` in one pass: `acc + w0*x0 + ... + w7*x7`
 * evaluates left to right, so the additions happen in exactly the order of
 * eight single passes, with an eighth of the accumulator loads and stores.
 */
function accumulateEight(
  acc: Float64Array,
  updates: readonly Float32Array[],
  w: Float64Array,
  first: number,
  start: number,
  size: number,
): void {
  const [x0, x1, x2, x3, x4, x5, x6, x7] = updates.slice(first, first + 8) as Float32Array[];
  const [w0, w1, w2, w3, w4, w5, w6, w7] = w.subarray(first, first + 8);
  for (let k = 0, j = start; k < size; k++, j++) {
    acc[k] =
      acc[k]! +
      w0! * x0![j]! +
      w1! * x1![j]! +
      w2! * x2![j]! +
      w3! * x3![j]! +
      w4! * x4![j]! +
      w5! * x5![j]! +
      w6! * x6![j]! +
      w7! * x7![j]!;
  }
}

/** acc[k] += weight * update[start + k] for k in [0, size). */
function accumulate(
  acc: Float64Array,
  update: Float32Array,
  weight: number,
  start: number,
  size: number,
): void {
  for (let k = 0; k < size; k++) acc[k] = acc[k]! + weight * update[start + k]!;
}
