/**
 * N-grams of token ids packed into one exact integer: each id takes
 * `GRAM_BASE` values, the oldest id most significant, so vocabularies up to
 * 128 ids and n-grams up to `MAX_GRAM_LENGTH` ids fit below 2^53.
 */
export const GRAM_BASE = 128;

/** The longest n-gram a packed key holds. */
export const MAX_GRAM_LENGTH = 7;

/** Counts of every n-gram of length `n` of `ids` (ids in [0, GRAM_BASE), n in [1, MAX_GRAM_LENGTH]), by packed key. */
export function countGrams(ids: Int32Array, n: number): Map<number, number> {
  const counts = new Map<number, number>();
  const top = GRAM_BASE ** (n - 1);
  let gram = 0;
  for (let i = 0; i < ids.length; i++) {
    gram = (gram % top) * GRAM_BASE + (ids[i] as number);
    if (i >= n - 1) counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}
