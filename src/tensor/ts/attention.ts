import { checkCausalAttention } from '../checks.ts';
import { matmul } from './matmul.ts';
import { softmax } from './softmax.ts';

/**
 * Causal attention of one head from its scores: for each row t, probs row t
 * holds the softmax of scores[t, 0..t] followed by zeros, and y row t =
 * probs[t, 0..t] · v rows 0..t (each output the canonical dot of length t+1
 * with one column of v). scores and probs (T, T), v and y (T, headDim); probs
 * may alias scores. TypeScript reference.
 */
export function causalAttention(
  scores: Float32Array,
  v: Float32Array,
  T: number,
  headDim: number,
  probs: Float32Array,
  y: Float32Array,
): void {
  checkCausalAttention(scores, v, T, headDim, probs, y);
  for (let t = 0; t < T; t++) {
    const pRow = probs.subarray(t * T, t * T + t + 1);
    softmax(scores.subarray(t * T, t * T + t + 1), 1, t + 1, pRow);
    probs.fill(0, t * T + t + 1, (t + 1) * T);
    matmul(
      pRow,
      v.subarray(0, (t + 1) * headDim),
      1,
      t + 1,
      headDim,
      y.subarray(t * headDim, (t + 1) * headDim),
    );
  }
}
