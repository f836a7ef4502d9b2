import { CorpusShardError } from './errors.ts';
import { joinSpeeches, type Speech } from './sotu.ts';

/**
 * Splits token ids into `count` contiguous shards of nearly equal length
 * (shard i covers `[floor(i·n/count), floor((i+1)·n/count))`); each needs at
 * least `minTokens` tokens, or CorpusShardError.
 */
export function splitIntoShards(ids: Int32Array, count: number, minTokens = 2): Int32Array[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new CorpusShardError(`Shard count must be a positive integer (got ${count}).`);
  }
  const n = ids.length;
  if (Math.floor(n / count) < minTokens) {
    throw new CorpusShardError(`${n} tokens cannot make ${count} shards of at least ${minTokens} tokens.`, {
      hint: 'Use fewer shards or more data.',
    });
  }
  const shards: Int32Array[] = [];
  for (let i = 0; i < count; i++) {
    shards.push(ids.subarray(Math.floor((i * n) / count), Math.floor(((i + 1) * n) / count)));
  }
  return shards;
}

/**
 * Deals whole speeches to `count` shards in turn (speech i goes to shard
 * i mod count) and encodes each shard's speeches, joined in order: every
 * shard spans all eras of the corpus, so the shards are close to identically
 * distributed and no window crosses two speeches that were not adjacent.
 */
export function interleavedSpeechShards(
  speeches: readonly Speech[],
  count: number,
  encode: (text: string) => Int32Array,
): Int32Array[] {
  if (!Number.isInteger(count) || count < 1 || count > speeches.length) {
    throw new CorpusShardError(`Cannot deal ${speeches.length} speeches to ${count} shards.`, {
      hint: 'Use a positive shard count no larger than the number of speeches.',
    });
  }
  const dealt = Array.from({ length: count }, (_, k) => speeches.filter((_, i) => i % count === k));
  return dealt.map((part) => encode(joinSpeeches(part)));
}
