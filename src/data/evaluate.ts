import type { Gpt } from '../model/gpt.ts';
import { expF32, logF32 } from '../tensor/math.ts';
import { CorpusShardError } from './errors.ts';

/**
 * Held-out evaluation of a character model in bits per character. Windows
 * of `seqLen` tokens start every `seqLen / 2` tokens; only the second half
 * of each window is scored, so every scored character sees at least
 * `seqLen / 2` characters of context and consecutive windows score
 * consecutive text.
 */

/** Start offsets of `count` scoring windows spread evenly over `length` tokens (all windows when count is 0). */
export function evaluationWindows(length: number, seqLen: number, count: number): number[] {
  const stride = seqLen / 2;
  if (!Number.isInteger(stride) || stride < 1) {
    throw new CorpusShardError(`seqLen must be an even number >= 2 (got ${seqLen}).`);
  }
  const available = Math.floor((length - 1 - seqLen) / stride) + 1;
  if (available < 1) throw new CorpusShardError(`${length} tokens are too few for a window of ${seqLen}.`);
  const n = count <= 0 || count >= available ? available : count;
  const starts: number[] = [];
  for (let i = 0; i < n; i++) starts.push(Math.floor((i * available) / n) * stride);
  return starts;
}

/** What an evaluation measured. */
export type BitsPerChar = { bpc: number; chars: number };

/**
 * Mean bits per character of the scored halves of the windows starting at
 * `starts` (see evaluationWindows), batched `batchSize` windows at a time.
 * Log-probabilities use the kernels' exp and log, summed in f64.
 */
export function bitsPerChar(
  model: Gpt,
  ids: Int32Array,
  seqLen: number,
  starts: readonly number[],
  batchSize = 16,
): BitsPerChar {
  const V = model.config.vocabSize;
  const half = seqLen / 2;
  let nats = 0;
  let chars = 0;
  for (let first = 0; first < starts.length; first += batchSize) {
    const group = starts.slice(first, first + batchSize);
    const tokens = new Int32Array(group.length * seqLen);
    group.forEach((s, b) => {
      tokens.set(ids.subarray(s, s + seqLen), b * seqLen);
    });
    const logits = model.forward(tokens, group.length); // (B·T, V)
    group.forEach((s, b) => {
      for (let t = half; t < seqLen; t++) {
        const row = logits.subarray((b * seqLen + t) * V, (b * seqLen + t + 1) * V);
        nats -= logSoftmaxAt(row, ids[s + t + 1] as number);
        chars++;
      }
    });
  }
  return { bpc: nats / chars / Math.LN2, chars };
}

/** log softmax(row)[target], computed stably with the kernels' exp and log. */
function logSoftmaxAt(row: Float32Array, target: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) if ((row[i] as number) > max) max = row[i] as number;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += expF32((row[i] as number) - max);
  return (row[target] as number) - max - logF32(sum);
}
