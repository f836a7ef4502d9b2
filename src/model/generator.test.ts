import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKernelPool, POOL_MIN_WORK, useKernelPool } from '../tensor/index.ts';
import { makeGptConfig } from './config.ts';
import { Gpt } from './gpt.ts';
import type { Placement } from './memory.ts';
import { GptParams } from './params.ts';

/** Every logit bit of `count` decoding steps over a fixed token pattern, concatenated. */
function decodeBits(params: GptParams, placement: Placement, count: number): Uint32Array {
  const gen = new Gpt(params, { placement }).generator();
  const V = params.config.vocabSize;
  const out = new Uint32Array(count * V);
  for (let i = 0; i < count; i++) {
    const logits = gen.step((i * 7919) % V);
    out.set(new Uint32Array(logits.buffer, logits.byteOffset, V), i * V);
  }
  gen.dispose();
  return out;
}

describe('GptGenerator on the kernel pool', () => {
  it('decodes the single-threaded logits bit for bit on 2 and 3 threads, weights in kernel memory or not', async () => {
    // The output head (V × C multiply-adds per token) is large enough to go to the pool.
    const config = makeGptConfig({ vocabSize: 2048, contextLength: 32, dModel: 128, nHeads: 4, nLayers: 2 });
    assert.ok(config.vocabSize * config.dModel >= POOL_MIN_WORK);
    for (const placement of ['kernel', 'js'] as const) {
      const params = GptParams.init(config, 7, placement);
      try {
        const want = decodeBits(params, placement, 12);
        for (const threads of [2, 3]) {
          const pool = await createKernelPool(threads);
          useKernelPool(pool);
          try {
            assert.deepEqual(decodeBits(params, placement, 12), want, `${threads} threads, ${placement}`);
          } finally {
            useKernelPool(null);
            await pool.close();
          }
        }
      } finally {
        params.dispose();
      }
    }
  });
});

describe('GptGenerator.rollback', () => {
  const params = GptParams.init(
    makeGptConfig({ vocabSize: 20, contextLength: 8, dModel: 8, nHeads: 2, nLayers: 2 }),
    5,
  );

  it('forgets the entries after the position: the next step equals a decoder that never saw them', () => {
    const gen = new Gpt(params).generator();
    gen.prefill([3, 1, 4, 1, 5]);
    gen.rollback(2);
    assert.equal(gen.position, 2);
    const got = Array.from(gen.step(9));
    const want = Array.from(new Gpt(params).generator().prefill([3, 1, 9]) as Float32Array);
    assert.deepEqual(got, want);
  });

  it('rejects positions outside [0, position] with SequenceShapeError', () => {
    const gen = new Gpt(params).generator();
    gen.prefill([1, 2]);
    for (const bad of [-1, 3, 1.5]) assert.throws(() => gen.rollback(bad), { name: 'SequenceShapeError' });
    gen.rollback(0);
    assert.equal(gen.position, 0);
  });
});
