import { log, softmax } from '../../tensor/index.ts';

/** The smallest positive f32 (2^-149): a probability that underflowed counts as this, so the loss stays finite. */
const MIN_PROB = Math.fround(2 ** -149);

/**
 * Mean cross-entropy of `rows` logit rows against target ids: probs =
 * softmax(logits) (kept for the backward pass), loss = mean of -log p[target]
 * with Concord's log, summed in row order in f64. `pTarget` is scratch (rows).
 */
export function crossEntropy(
  logits: Float32Array, // (rows, V)
  targets: ArrayLike<number>,
  rows: number,
  V: number,
  probs: Float32Array, // (rows, V)
  pTarget: Float32Array, // (rows)
): number {
  softmax(logits, rows, V, probs);
  for (let r = 0; r < rows; r++) {
    const p = probs[r * V + (targets[r] as number)] as number;
    pTarget[r] = p > 0 ? p : MIN_PROB;
  }
  log(pTarget, pTarget);
  let total = 0;
  for (let r = 0; r < rows; r++) total -= pTarget[r] as number;
  return total / rows;
}

/** Gradient of the mean cross-entropy with respect to the logits: (probs - onehot(target)) / rows. */
export function crossEntropyBackward(
  probs: Float32Array, // (rows, V)
  targets: ArrayLike<number>,
  rows: number,
  V: number,
  dLogits: Float32Array, // (rows, V)
): void {
  const inv = 1 / rows;
  for (let r = 0; r < rows; r++) {
    const o = r * V;
    const target = targets[r] as number;
    for (let c = 0; c < V; c++) {
      const p = probs[o + c] as number;
      dLogits[o + c] = (c === target ? p - 1 : p) * inv;
    }
  }
}
