import { AggregateByzantineBoundError, AggregateInvalidSelectionError } from './errors.ts';
import { fedAvg } from './fedAvg.ts';
import { sortPrefix } from './sortScratch.ts';
import { assertFiniteUpdates, assertSameLength } from './validate.ts';

/** Coordinates per block when computing pairwise distances: n updates × 16 KiB stay in L2 cache. */
const BLOCK = 4096;

/** The outcome of Krum: the chosen update, its index and every update's score. */
export type KrumResult = {
  /** Index of the chosen update (lowest score, ties to the lowest index). */
  index: number;
  /** Krum score of every update, in update order. */
  scores: Float64Array;
  /** A copy of the chosen update. */
  result: Float32Array;
};

/** The outcome of Multi-Krum: the chosen updates, every score and their mean. */
export type MultiKrumResult = {
  /** Indices of the m chosen updates, ascending. */
  indices: number[];
  /** Krum score of every update, in update order. */
  scores: Float64Array;
  /** The unweighted mean of the chosen updates, as `fedAvg` with weight 1 each in index order. */
  result: Float32Array;
};

/**
 * Krum scores (Blanchard et al., 2017): for each update, the sum of its
 * squared Euclidean distances to its `n - f - 2` nearest other updates.
 *
 * Reduction order: each squared distance is accumulated in float64 over
 * coordinates in ascending order (`acc += (a - b)^2`); each update's distances
 * to the others are sorted ascending and the smallest `n - f - 2` are summed
 * in that order. Throws `AggregateByzantineBoundError` unless `f` is an
 * integer >= 0 with `n > 2f + 2`, and the input errors of every rule.
 */
export function krumScores(updates: readonly Float32Array[], f: number): Float64Array {
  const length = assertSameLength(updates);
  const n = updates.length;
  if (!Number.isSafeInteger(f) || f < 0 || n <= 2 * f + 2) throw new AggregateByzantineBoundError(f, n);
  assertFiniteUpdates(updates);
  const distances = pairwiseSquaredDistances(updates, length);
  const nearest = n - f - 2;
  const scratch = new Float64Array(n - 1);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let count = 0;
    for (let j = 0; j < n; j++) if (j !== i) scratch[count++] = distances[i * n + j]!;
    sortPrefix(scratch, count);
    let score = 0;
    for (let k = 0; k < nearest; k++) score += scratch[k]!;
    scores[i] = score;
  }
  return scores;
}

/**
 * Krum: returns the update with the lowest Krum score (ties to the lowest
 * index), tolerating up to `f` Byzantine updates among `n > 2f + 2`.
 */
export function krum(updates: readonly Float32Array[], f: number): KrumResult {
  const scores = krumScores(updates, f);
  const index = rankByScore(scores)[0]!;
  return { index, scores, result: updates[index]!.slice() };
}

/**
 * Multi-Krum: keeps the `m` updates with the lowest Krum scores (ties to the
 * lowest index) and averages them with `fedAvg`, weight 1 each, in ascending
 * index order. Throws `AggregateInvalidSelectionError` unless `1 <= m <= n`.
 */
export function multiKrum(updates: readonly Float32Array[], f: number, m: number): MultiKrumResult {
  const scores = krumScores(updates, f);
  if (!Number.isSafeInteger(m) || m < 1 || m > updates.length) {
    throw new AggregateInvalidSelectionError(m, updates.length);
  }
  const indices = rankByScore(scores)
    .slice(0, m)
    .sort((a, b) => a - b);
  const chosen = indices.map((i) => updates[i]!);
  return { indices, scores, result: fedAvg(chosen, new Array<number>(m).fill(1)) };
}

/** Update indices ordered by score ascending, ties by index ascending. */
function rankByScore(scores: Float64Array): number[] {
  return Array.from(scores.keys()).sort((a, b) => scores[a]! - scores[b]! || a - b);
}

/** Symmetric n×n matrix of squared distances, accumulated per pair in coordinate order. */
function pairwiseSquaredDistances(updates: readonly Float32Array[], length: number): Float64Array {
  const n = updates.length;
  const distances = new Float64Array(n * n);
  for (let start = 0; start < length; start += BLOCK) {
    const end = Math.min(start + BLOCK, length);
    for (let i = 0; i < n; i++) {
      const a = updates[i]!;
      for (let j = i + 1; j < n; j++) {
        const b = updates[j]!;
        let acc = distances[i * n + j]!;
        for (let k = start; k < end; k++) {
          const d = a[k]! - b[k]!;
          acc += d * d;
        }
        distances[i * n + j] = acc;
        distances[j * n + i] = acc;
      }
    }
  }
  return distances;
}
