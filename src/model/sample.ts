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

/** Index of the largest value; the lowest index wins a tie. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/** The tokens a draw may pick, in the order the draw walks them, with their f32 probabilities (not renormalized). */
type Candidates = { probs: Float32Array; id: (i: number) => number; kept: number };

/**
 * Probabilities from the softmax kernel of logits/temperature (f32); with
 * top-k or top-p, candidates ordered by probability then id and cut,
 * otherwise every id in id order.
 */
function candidates(logits: Float32Array, options: Required<SamplingOptions>): Candidates {
  const { temperature, topK, topP } = options;
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
  return { probs, id, kept };
}

/** Validated options of a draw from `logits` (non-empty, finite). */
function checkDraw(logits: Float32Array, options: SamplingOptions): Required<SamplingOptions> {
  const checked = checkSamplingOptions(options);
  if (logits.length === 0) throw new InvalidSamplingOptionsError('logits', 'must not be empty');
  assertFiniteF32(logits);
  return checked;
}

/**
 * One uniform draw walking `n` non-negative weights in index order (summed in
 * f64): the first index whose running sum exceeds u · total. If rounding
 * leaves u at the total, the last index of positive weight.
 */
function walk(n: number, weight: (i: number) => number, rng: Rng): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += weight(i);
  const u = rng.uniform() * total;
  let acc = 0;
  let last = 0;
  for (let i = 0; i < n; i++) {
    const w = weight(i);
    acc += w;
    if (u < acc) return i;
    if (w > 0) last = i;
  }
  return last;
}

/**
 * Draws the next token id. Deterministic for a given RNG state: probabilities
 * come from the softmax kernel of logits/temperature (f32); with top-k or
 * top-p, candidates are ordered by probability then id and cut, otherwise
 * taken in id order; one uniform draw walks the kept probabilities (summed in
 * f64 in that order).
 */
export function sampleToken(logits: Float32Array, rng: Rng, options: SamplingOptions = {}): number {
  const checked = checkDraw(logits, options);
  if (checked.temperature === 0) return argmax(logits);
  const { probs, id, kept } = candidates(logits, checked);
  return id(walk(kept, (i) => probs[id(i)] as number, rng));
}

/**
 * The distribution `sampleToken` draws from, per token id (f64): the kept
 * candidates' probabilities divided by their f64 sum, zero elsewhere;
 * temperature 0 puts all the mass on the argmax.
 */
export function tokenDistribution(logits: Float32Array, options: SamplingOptions = {}): Float64Array {
  const checked = checkDraw(logits, options);
  const p = new Float64Array(logits.length);
  if (checked.temperature === 0) {
    p[argmax(logits)] = 1;
    return p;
  }
  const { probs, id, kept } = candidates(logits, checked);
  let total = 0;
  for (let i = 0; i < kept; i++) total += probs[id(i)] as number;
  for (let i = 0; i < kept; i++) p[id(i)] = (probs[id(i)] as number) / total;
  return p;
}

/**
 * Draws an index with probability proportional to `weights` (non-negative,
 * with a positive sum): one uniform draw walks them in index order, summed in f64.
 */
export function sampleWeights(weights: ArrayLike<number>, rng: Rng): number {
  return walk(weights.length, (i) => weights[i] as number, rng);
}
