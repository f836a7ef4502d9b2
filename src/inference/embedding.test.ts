import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Gpt, GptParams, makeGptConfig } from '../model/index.ts';
import { embedTokens, meanPool } from './embedding.ts';
import { localExchangeBackend } from './localExchangeBackend.ts';

const config = makeGptConfig({ vocabSize: 61, contextLength: 12, dModel: 32, nHeads: 4, nLayers: 2 });
const params = GptParams.init(config, 5);

describe('embedTokens', () => {
  it('is deterministic per sharding and agrees with Gpt.embed within f32 rounding', async () => {
    const tokens = [3, 14, 15, 9, 26];
    const run = async (shardsPerMatrix: number) => {
      const backend = localExchangeBackend(params, { shardsPerMatrix });
      const out = await embedTokens(params, tokens, backend);
      backend.dispose();
      return out;
    };
    const one = await run(1);
    assert.equal(one.length, config.dModel);
    assert.deepEqual(await run(1), one);
    // each sharding sums its partials in its own canonical order: equal bits per sharding, close across
    const gpt = new Gpt(params).embed(tokens);
    for (const other of [await run(2), await run(4), gpt]) {
      for (let i = 0; i < one.length; i++) assert.ok(Math.abs(other[i]! - one[i]!) < 1e-4);
    }
  });

  it('refuses an empty input', async () => {
    const backend = localExchangeBackend(params, { shardsPerMatrix: 1 });
    await assert.rejects(embedTokens(params, [], backend), { name: 'SequenceShapeError' });
    backend.dispose();
  });

  it('meanPool is the f32 mean of the rows', () => {
    const pooled = meanPool(Float32Array.from([1, 2, 3, 6]), 2, 2);
    assert.deepEqual([...pooled], [2, 4]);
  });
});
