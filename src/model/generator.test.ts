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
