import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Gpt, GptParams, generate, makeGptConfig, Rng } from '../model/index.ts';
import { decode, localBackend } from './decode.ts';

const config = makeGptConfig({ vocabSize: 30, contextLength: 6, dModel: 8, nHeads: 2, nLayers: 2 });
const params = GptParams.init(config, 11);
const model = new Gpt(params);

async function tokensOf(iter: AsyncIterable<number>): Promise<number[]> {
  const out: number[] = [];
  for await (const t of iter) out.push(t);
  return out;
}

describe('decode with the local backend', () => {
  it('yields exactly the model’s own generate tokens (prompt clipping, window slide, stop token)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 29 }), { maxLength: 9 }),
        fc.integer({ min: 1, max: 14 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.constantFrom(0, 0.8, 1.3),
        fc.option(fc.integer({ min: 0, max: 29 }), { nil: undefined }),
        async (prompt, maxNewTokens, seed, temperature, stopToken) => {
          const options = { maxNewTokens, temperature, ...(stopToken === undefined ? {} : { stopToken }) };
          const want = generate(model, prompt, new Rng(seed), options);
          const got = await tokensOf(decode(params, prompt, localBackend, { ...options, seed }));
          assert.deepEqual(got, want);
        },
      ),
      { numRuns: 40 },
    );
  });
});
