import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Gpt, GptGenerator, GptParams, generate, makeGptConfig, Rng } from '../model/index.ts';
import { Decoder, decodeTokens } from './decoder.ts';
import type { CacheWindow, ExchangeBackend, ExchangeRequest } from './exchange.ts';
import { localExchangeBackend } from './localExchangeBackend.ts';
import type { Sharding } from './planner.ts';

// 6 heads of 4, mlp 96, so that head groups and c_fc slices can be cut unevenly.
const config = makeGptConfig({ vocabSize: 37, contextLength: 12, dModel: 24, nHeads: 6, nLayers: 2 });
const params = GptParams.init(config, 5);
const ONE: Sharding = { shardsPerMatrix: 1 };
/** 2, 3 (uneven: 96 c_fc rows in 3 of 32, 6 heads in 3 of 2), 4 (uneven heads 1,2,1,2) and 5-row shards. */
const SHARDINGS: readonly Sharding[] = [
  { shardsPerMatrix: 2 },
  { shardsPerMatrix: 3 },
  { shardsPerMatrix: 4 },
  { rowsPerShard: 5 },
];

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
const copy = (a: Float32Array) => Float32Array.from(a);

async function tokensOf(iter: AsyncIterable<number>): Promise<number[]> {
  const out: number[] = [];
  for await (const t of iter) out.push(t);
  return out;
}

/** Records every request a backend is asked (and forwards it). */
function recording(backend: ExchangeBackend): { backend: ExchangeBackend; requests: ExchangeRequest[] } {
  const requests: ExchangeRequest[] = [];
  return {
    requests,
    backend: (request) => {
      requests.push(request);
      return backend(request);
    },
  };
}

describe('Decoder over the local exchange backend', () => {
  it('with one shard per exchange gives Gpt.forward’s and GptGenerator’s logits bit for bit', async () => {
    const prompt = [3, 1, 4, 1, 5, 9, 2];
    const decoder = new Decoder(params, localExchangeBackend(params, ONE));
    const prefill = await decoder.forward(prompt, prompt.length);
    assert.deepEqual(bits(prefill), bits(new Gpt(params).forward(prompt)));
    const gen = new GptGenerator(params);
    gen.prefill(prompt);
    for (const token of [6, 36, 0, 17]) {
      const want = copy(gen.step(token));
      assert.deepEqual(bits(await decoder.forward([token], 1)), bits(want));
    }
    assert.equal(decoder.length, prompt.length + 4);
  });

  it('batched prefill equals feeding the tokens one by one, bit for bit, at every sharding', async () => {
    const prompt = [8, 2, 30, 30, 1, 0, 22, 5, 13];
    for (const sharding of [ONE, ...SHARDINGS]) {
      const batched = new Decoder(params, localExchangeBackend(params, sharding));
      const single = new Decoder(params, localExchangeBackend(params, sharding));
      const all = await batched.forward(prompt, prompt.length);
      for (const [t, token] of prompt.entries()) {
        const row = all.subarray(t * config.vocabSize, (t + 1) * config.vocabSize);
        assert.deepEqual(
          bits(await single.forward([token], 1)),
          bits(row),
          `row ${t}, ${JSON.stringify(sharding)}`,
        );
      }
      assert.deepEqual(bits(await batched.forward([4], 1)), bits(await single.forward([4], 1)));
    }
  });

  it('at 2, 3, 4 and 5-row shards: independent backends agree bit for bit, close to the unsharded model', async () => {
    const prompt = [1, 2, 3, 5, 8, 13, 21];
    const want = new Gpt(params).forward(prompt);
    for (const sharding of SHARDINGS) {
      const a = new Decoder(params, localExchangeBackend(params, sharding));
      const kernel = localExchangeBackend(params, sharding, { placement: 'kernel' });
      const b = new Decoder(params, kernel);
      const la = await a.forward(prompt, prompt.length);
      assert.deepEqual(bits(la), bits(await b.forward(prompt, prompt.length)), JSON.stringify(sharding));
      for (let i = 0; i < la.length; i++) assert.ok(Math.abs(la[i]! - want[i]!) < 1e-5, `logit ${i}`);
      assert.deepEqual(bits(await a.forward([34], 1)), bits(await b.forward([34], 1)));
      kernel.dispose();
    }
  });

  it('rollback(n) and feeding again equals never having fed the dropped tokens', async () => {
    for (const sharding of [ONE, { shardsPerMatrix: 3 }]) {
      const rolled = new Decoder(params, localExchangeBackend(params, sharding));
      const straight = new Decoder(params, localExchangeBackend(params, sharding));
      await rolled.forward([5, 6, 7], 1);
      await rolled.forward([9, 9, 9, 9], 2); // drafted, then rejected
      rolled.rollback(4); // keeps [5, 6, 7, 9]
      await straight.forward([5, 6, 7, 9], 1);
      assert.deepEqual(bits(await rolled.forward([1, 2], 2)), bits(await straight.forward([1, 2], 2)));
      assert.equal(rolled.length, 6);
    }
  });

  it('slides past the context without feeding anything again, deterministically', async () => {
    const prompt = [4, 4, 2, 7, 7, 1, 0, 3, 9, 11];
    const maxNewTokens = 15; // the window of 12 slides twice
    const run = async () => {
      const rec = recording(localExchangeBackend(params, { shardsPerMatrix: 2 }));
      const tokens = await tokensOf(decodeTokens(params, prompt, rec.backend, { maxNewTokens, seed: 3 }));
      const windows = rec.requests
        .filter((r) => r.name === 'h.0.attn')
        .map((r) => [r.window, r.rows] as const);
      return { tokens, windows };
    };
    const first = await run();
    assert.deepEqual(await run(), first);
    assert.equal(first.tokens.length, maxNewTokens);
    const rows = first.windows.reduce((n, [, r]) => n + r, 0);
    assert.equal(rows, prompt.length + maxNewTokens - 1, 'each token goes through once');
    const slides = first.windows.filter(([w]) => w.keepFrom > 0).map(([w]) => w);
    const half = config.contextLength / 2;
    assert.deepEqual(slides, [
      { keepFrom: config.contextLength - half, keepTo: config.contextLength },
      { keepFrom: config.contextLength - half, keepTo: config.contextLength },
    ]);
  });

  it('clips a prompt longer than the context to its newest tokens', async () => {
    const long = Array.from({ length: 20 }, (_, i) => (i * 7) % 37);
    const a = new Decoder(params, localExchangeBackend(params, ONE));
    const b = new Decoder(params, localExchangeBackend(params, ONE));
    assert.deepEqual(bits(await a.forward(long, 1)), bits(await b.forward(long.slice(-12), 1)));
    assert.equal(a.length, 12);
    const afterFull = await a.forward([2, 3, 4, 5, 6, 7, 8, 9], 1); // 12 + 8 > 12: keeps 4 entries
    assert.equal(a.length, 12);
    assert.equal(afterFull.length, config.vocabSize);
  });

  it('within the context, decodeTokens yields the model’s own generate tokens', async () => {
    const model = new Gpt(params);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 36 }), { maxLength: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.constantFrom(0, 0.8, 1.3),
        fc.option(fc.integer({ min: 0, max: 36 }), { nil: undefined }),
        async (prompt, maxNewTokens, seed, temperature, stopToken) => {
          const options = { maxNewTokens, temperature, ...(stopToken === undefined ? {} : { stopToken }) };
          const want = generate(model, prompt, new Rng(seed), options);
          const backend = localExchangeBackend(params, ONE);
          assert.deepEqual(await tokensOf(decodeTokens(params, prompt, backend, { ...options, seed })), want);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('after a rejected exchange nothing advances, and the retry gives the bits of an undisturbed run', async () => {
    const sharding = { shardsPerMatrix: 3 };
    const steps = [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11], [12], [13], [14, 15, 16, 17, 18, 19]]; // 3 and 4 slide
    const reference = new Decoder(params, localExchangeBackend(params, sharding));
    const want: Float32Array[] = [];
    for (const tokens of steps) want.push(await reference.forward(tokens, 1));
    const exchangesPerForward = 2 * config.nLayers + 1;
    for (let failAt = 0; failAt < exchangesPerForward; failAt++) {
      for (const failingStep of [2, 3, 4]) {
        const local = localExchangeBackend(params, sharding);
        let calls = 0;
        let step = 0;
        const flaky: ExchangeBackend = (request) => {
          if (step === failingStep && calls++ === failAt) return Promise.reject(new Error('host went away'));
          return local(request);
        };
        const decoder = new Decoder(params, flaky);
        for (; step < steps.length; step++) {
          const length = decoder.length;
          if (step === failingStep) {
            await assert.rejects(decoder.forward(steps[step]!, 1), /host went away/);
            assert.equal(decoder.length, length);
          }
          assert.deepEqual(
            bits(await decoder.forward(steps[step]!, 1)),
            bits(want[step]!),
            `fail at ${failAt}`,
          );
        }
      }
    }
  });

  it('rejects bad input and malformed answers with named errors, without advancing', async () => {
    const decoder = new Decoder(params, localExchangeBackend(params, ONE));
    await assert.rejects(decoder.forward([], 0), { name: 'SequenceShapeError' });
    await assert.rejects(decoder.forward([1, 2], 3), { name: 'SequenceShapeError' });
    await assert.rejects(decoder.forward([1, 37], 1), { name: 'TokenOutOfRangeError' });
    assert.throws(() => decoder.rollback(1), { name: 'CacheWindowInvalidError' });
    await decoder.forward([1, 2], 0);
    assert.equal(decoder.length, 2);
    assert.throws(() => decoder.rollback(3), { name: 'CacheWindowInvalidError' });
    assert.throws(() => decoder.rollback(-1), { name: 'CacheWindowInvalidError' });

    const local = localExchangeBackend(params, ONE);
    const truncated: ExchangeBackend = async (r) => (await local(r)).map((p) => p.subarray(1));
    await assert.rejects(new Decoder(params, truncated).forward([1], 1), {
      name: 'ExchangeAnswerInvalidError',
    });
    const none: ExchangeBackend = async () => [];
    await assert.rejects(new Decoder(params, none).forward([1], 1), { name: 'ExchangeAnswerInvalidError' });
    const narrowHead: ExchangeBackend = async (r) =>
      r.kind === 'lm_head' ? [new Float32Array(r.rows * (config.vocabSize - 1))] : local(r);
    await assert.rejects(new Decoder(params, narrowHead).forward([1], 1), {
      name: 'ExchangeAnswerInvalidError',
    });
  });
});

describe('localExchangeBackend', () => {
  const x = new Float32Array(2 * config.dModel).fill(0.5);
  const attn = (window: CacheWindow, rows = 2): ExchangeRequest => ({
    kind: 'attn',
    layer: 0,
    name: 'h.0.attn',
    rows,
    x: x.subarray(0, rows * config.dModel),
    window,
    outFrom: 0,
  });

  it('refuses bad windows, overflow and unknown exchanges with named errors, keeping its caches', async () => {
    const backend = localExchangeBackend(params, { shardsPerMatrix: 2 });
    const twin = localExchangeBackend(params, { shardsPerMatrix: 2 });
    await backend(attn({ keepFrom: 0, keepTo: 0 }));
    await twin(attn({ keepFrom: 0, keepTo: 0 }));
    await assert.rejects(backend(attn({ keepFrom: 0, keepTo: 3 })), { name: 'CacheWindowInvalidError' });
    await assert.rejects(backend(attn({ keepFrom: 2, keepTo: 1 })), { name: 'CacheWindowInvalidError' });
    await assert.rejects(backend(attn({ keepFrom: 0, keepTo: 2 }, 11)), {
      name: 'ExchangeRequestInvalidError',
    });
    await assert.rejects(backend({ ...attn({ keepFrom: 0, keepTo: 2 }), outFrom: 3 }), {
      name: 'ExchangeRequestInvalidError',
    });
    await assert.rejects(backend({ ...attn({ keepFrom: 0, keepTo: 0 }), name: 'h.9.attn', layer: 9 }), {
      name: 'ExchangeRequestInvalidError',
    });
    await assert.rejects(backend({ ...attn({ keepFrom: 0, keepTo: 0 }), kind: 'mlp' }), {
      name: 'ExchangeRequestInvalidError',
    });
    const big = new Float32Array(11 * config.dModel);
    await assert.rejects(backend({ ...attn({ keepFrom: 0, keepTo: 2 }), rows: 11, x: big }), {
      name: 'KvCacheFullError',
    });
    const [a, b] = [
      await backend(attn({ keepFrom: 0, keepTo: 2 })),
      await twin(attn({ keepFrom: 0, keepTo: 2 })),
    ];
    assert.deepEqual(a.map(bits), b.map(bits));
  });
});
