import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeTensor } from '../core/codec.ts';
import { digestBytes } from '../core/digest.ts';
import { shardBlob } from '../tasks/shardBlob.ts';
import { interleavedSpeechShards, splitIntoShards } from './shards.ts';
import { joinSpeeches } from './sotu.ts';

describe('data shards', () => {
  it('split ids into contiguous, nearly equal shards that cover them in order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 500 }), (count, extra) => {
        const ids = Int32Array.from({ length: count * 2 + extra }, (_, i) => i);
        const shards = splitIntoShards(ids, count);
        assert.equal(shards.length, count);
        assert.deepEqual(Int32Array.from(shards.flatMap((s) => Array.from(s))), ids);
        const sizes = shards.map((s) => s.length);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
      }),
    );
  });

  it('reject a count that leaves shards shorter than the minimum', () => {
    assert.throws(() => splitIntoShards(new Int32Array(10), 4, 3), { name: 'CorpusShardError' });
    assert.throws(() => splitIntoShards(new Int32Array(10), 0), { name: 'CorpusShardError' });
  });

  it('deal whole speeches to the shards in turn, each shard joining its speeches in order', () => {
    const speeches = ['a', 'bb', 'ccc', 'dddd', 'eeeee'].map((text, i) => ({
      text,
      year: 1800 + i,
      president: 'P',
    }));
    const encode = (text: string) => Int32Array.from(text, (c) => c.charCodeAt(0));
    const shards = interleavedSpeechShards(speeches, 2, encode);
    assert.deepEqual(shards, [
      encode(joinSpeeches([speeches[0]!, speeches[2]!, speeches[4]!])),
      encode(joinSpeeches([speeches[1]!, speeches[3]!])),
    ]);
    assert.throws(() => interleavedSpeechShards(speeches, 6, encode), { name: 'CorpusShardError' });
    assert.throws(() => interleavedSpeechShards(speeches, 0, encode), { name: 'CorpusShardError' });
  });

  it('encode as i32 codec blobs with their digest', () => {
    const ids = Int32Array.from([3, 1, 4, 1, 5]);
    const blob = shardBlob(ids);
    assert.equal(blob.digest, digestBytes(blob.bytes));
    assert.equal(blob.tokens, 5);
    const t = decodeTensor(blob.bytes);
    assert.deepEqual([t.dtype, t.shape, t.data], ['i32', [5], ids]);
  });
});
