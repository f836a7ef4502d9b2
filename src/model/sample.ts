import { assertFiniteF32, scale, softmax } from '../tensor/index.ts';
import { InvalidSamplingOptionsError } from './errors.ts';
import type { Rng } from './rng.ts';

/** How to pick the next token from logits. */
export type SamplingOptions = {
  /** Divides the logits; 0 means greedy (argmax). Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens; 0 (default) keeps all. */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p; 1 (default) keeps all. */
  topP?: number;
};

/** Validates sampling options and fills in the defaults. */
export function checkSamplingOptions(options: SamplingOptions): Required<SamplingOptions> {
  const { temperature = 1, topK = 0, topP = 1 } = options;
  if (!Number.isFinite(temperature) || temperature < 0) {
    throw new InvalidSamplingOptionsError('temperature', `must be a finite number >= 0 (got ${temperature})`);
  }
  if (!Number.isInteger(topK) || topK < 0) {
    throw new InvalidSamplingOptionsError('topK', `must be an integer >= 0 (got ${topK})`);
  }
  if (!Number.isFinite(topP) || topP <= 0 || topP > 1) {
    throw new InvalidSamplingOptionsError('topP', `must be in (0, 1] (got ${topP})`);
  }
  return { temperature, topK, topP };
}

/** Index of the largest logit; the lowest index wins a tie. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
  return best;
}

/**
 * Draws the next token id. Deterministic for a given RNG state: probabilities
 * come from the softmax kernel of logits/temperature (f32); with top-k or
 * top-p, candidates are ordered by probability then id and cut, otherwise
 * taken in id order; one uniform draw walks the kept probabilities (summed in
 * f64 in that order).
 */
export function sampleToken(logits: Float32Array, rng: Rng, options: SamplingOptions = {}): number {
  const { temperature, topK, topP } = checkSamplingOptions(options);
  if (logits.length === 0) throw new InvalidSamplingOptionsError('logits', 'must not be empty');
  assertFiniteF32(logits);
  if (temperature === 0) return argmax(logits);
  const probs = new Float32Array(logits.length);
  scale(logits, 1 / temperature, probs);
  softmax(probs, 1, probs.length, probs);
  // Without truncation the draw walks ids in order; with it, ids sorted by probability (ties: lower id first).
  const n = probs.length;
  let order: Int32Array | undefined;
  if (topK > 0 || topP < 1) {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => (probs[b] as number) - (probs[a] as number) || a - b);
  }
  const id = (i: number): number => (order ? (order[i] as number) : i);
  let kept = topK > 0 ? Math.min(topK, n) : n;
  if (topP < 1) {
    let cumulative = 0;
    for (let i = 0; i < kept; i++) {
      cumulative += probs[id(i)] as number;
      if (cumulative >= topP) {
        kept = i + 1;
        break;
      }
    }
  }
  let total = 0;
  for (let i = 0; i < kept; i++) total += probs[id(i)] as number;
  const u = rng.uniform() * total;
  let acc = 0;
  for (let i = 0; i < kept; i++) {
    acc += probs[id(i)] as number;
    if (u < acc) return id(i);
  }
  return id(kept - 1);
}
