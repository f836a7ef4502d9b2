import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  argmax,
  type DraftProposal,
  Gpt,
  GptParams,
  generate,
  makeGptConfig,
  NgramDraft,
  Rng,
  type SamplingOptions,
  sampleWeights,
  tokenDistribution,
} from '../model/index.ts';
import { Decoder } from './decoder.ts';
import { localExchangeBackend } from './localExchangeBackend.ts';
import {
  type DraftModel,
  type SpeculateOptions,
  type SpeculationRound,
  type SpeculationTarget,
  speculativeDecode,
} from './speculate.ts';

/**
 * A target that keeps its window's tokens and scores them with the full
 * forward pass: independent of the KV cache, equal to incremental decoding of
 * the window. Slides like the real decoders (newest half kept) and counts passes.
 */
class WindowTarget implements SpeculationTarget {
  readonly capacity: number;
  tokens: number[] = [];
  passes = 0;
  constructor(readonly model: Gpt) {
    this.capacity = model.config.contextLength;
  }
  get length(): number {
    return this.tokens.length;
  }
  async forward(tokens: readonly number[], logitRows: number): Promise<Float32Array> {
    this.passes++;
    if (this.tokens.length + tokens.length > this.capacity)
      this.tokens = this.tokens.slice(-Math.floor(this.capacity / 2));
    this.tokens.push(...tokens);
    assert.ok(this.tokens.length <= this.capacity, 'the window overflows');
    const V = this.model.config.vocabSize;
    const T = this.tokens.length;
    return this.model.forward(this.tokens).slice((T - logitRows) * V, T * V);
  }
  rollback(length: number): void {
    assert.ok(
      Number.isInteger(length) && length >= 0 && length <= this.tokens.length,
      `rollback to ${length}`,
    );
    this.tokens.length = length;
  }
}

/** Plain greedy decoding on a target: one token per pass, the reference speculation must reproduce. */
async function plainGreedy(
  target: SpeculationTarget,
  prompt: readonly number[],
  maxNewTokens: number,
  stopToken?: number,
): Promise<number[]> {
  let pending = prompt.length > 0 ? prompt.slice(-target.capacity) : [0];
  const out: number[] = [];
  while (out.length < maxNewTokens) {
    const token = argmax(await target.forward(pending, 1));
    out.push(token);
    if (token === stopToken) break;
    pending = [token];
  }
  return out;
}

async function collect(
  target: SpeculationTarget,
  draft: DraftModel,
  prompt: readonly number[],
  options: SpeculateOptions,
): Promise<{ tokens: number[]; rounds: SpeculationRound[] }> {
  const tokens: number[] = [];
  const rounds: SpeculationRound[] = [];
  for await (const t of speculativeDecode(target, draft, prompt, {
    ...options,
    onRound: (r) => rounds.push(r),
  }))
    tokens.push(t);
  return { tokens, rounds };
}

/** One-hot q for a proposed token (what a greedy draft that is sure of itself reports). */
function oneHot(V: number, token: number): Float64Array {
  const q = new Float64Array(V);
  q[token] = 1;
  return q;
}

/**
 * A greedy draft reading its proposals from a known continuation `script` of
 * a context of `base` tokens; at the positions where `wrong(i)` holds it
 * proposes another token instead.
 */
function scriptedDraft(V: number, base: number, script: readonly number[], wrong: (i: number) => boolean) {
  return {
    draft(context: readonly number[], k: number): DraftProposal {
      const tokens: number[] = [];
      for (let i = 0; i < k; i++) {
        const at = context.length - base + i;
        const right = script[at] ?? 0;
        tokens.push(wrong(at) ? (right + 1) % V : right);
      }
      return { tokens, q: tokens.map((t) => oneHot(V, t)) };
    },
  } satisfies DraftModel;
}

const config = makeGptConfig({ vocabSize: 11, contextLength: 9, dModel: 8, nHeads: 2, nLayers: 2 });
const params = GptParams.init(config, 21);
// Larger weights make the logits peaked enough that greedy and sampled paths differ from uniform.
for (let i = 0; i < params.flat.length; i++) params.flat[i] = (params.flat[i] as number) * 12;
const model = new Gpt(params);
const V = config.vocabSize;

describe('speculativeDecode, greedy', () => {
  it('yields the model’s own greedy tokens for any draft and draft length (no window slide)', async () => {
    const randomDraft = NgramDraft.train(
      Int32Array.from({ length: 300 }, (_, i) => (i * i + 3 * i) % V),
      V,
      {
        order: 3,
        minContextCount: 1,
        minCount: 1,
        discount: 0.5,
      },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: V - 1 }), { maxLength: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 8 }),
        fc.constantFrom('right', 'wrong', 'alternate', 'ngram'),
        async (prompt, maxNewTokens, draftTokens, kind) => {
          const want = generate(model, prompt, new Rng(0), { maxNewTokens, temperature: 0 });
          const base = Math.max(prompt.length, 1);
          const draft =
            kind === 'ngram'
              ? randomDraft
              : scriptedDraft(
                  V,
                  base,
                  want,
                  (i) => kind === 'wrong' || (kind === 'alternate' && i % 2 === 1),
                );
          const target = new WindowTarget(model);
          const options = { maxNewTokens, temperature: 0, seed: 5, draftTokens };
          const { tokens } = await collect(target, draft, prompt, options);
          assert.deepEqual(tokens, want);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('equals one-token-at-a-time decoding on the same target across window slides, KV-cache target too', async () => {
    const prompts = [[], [3], [1, 4, 1, 5, 9, 2], [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4]];
    for (const prompt of prompts) {
      const want = await plainGreedy(new WindowTarget(model), prompt, 40);
      const wantLocal = await plainGreedy(localTarget(params), prompt, 40);
      const base = Math.max(Math.min(prompt.length, config.contextLength), 1);
      for (const draftTokens of [1, 2, 3, 4, 8]) {
        for (const wrongEvery of [0, 1, 3]) {
          const draft = scriptedDraft(V, base, want, (i) => wrongEvery > 0 && i % wrongEvery === 0);
          const options = { maxNewTokens: 40, temperature: 0, seed: 1, draftTokens };
          const { tokens } = await collect(new WindowTarget(model), draft, prompt, options);
          assert.deepEqual(tokens, want, `prompt ${prompt}, k ${draftTokens}, wrong every ${wrongEvery}`);
          const local = await collect(localTarget(params), draft, prompt, options);
          assert.deepEqual(local.tokens, wantLocal, `local target, prompt ${prompt}, k ${draftTokens}`);
        }
      }
    }
  });

  it('reports every proposal accepted for an always-right draft (fewer passes) and none for an always-wrong one', async () => {
    const prompt = [4, 2];
    const want = await plainGreedy(new WindowTarget(model), prompt, 6);
    const right = new WindowTarget(model);
    const r = await collect(
      right,
      scriptedDraft(V, 2, want, () => false),
      prompt,
      {
        maxNewTokens: 6,
        temperature: 0,
        seed: 1,
        draftTokens: 4,
      },
    );
    assert.deepEqual(r.tokens, want);
    // 5 tokens from the first pass (4 accepted + bonus), the sixth from the second.
    assert.deepEqual(r.rounds, [
      { proposed: 4, accepted: 4 },
      { proposed: 0, accepted: 0 },
    ]);
    assert.equal(right.passes, 2);
    const wrong = await collect(
      new WindowTarget(model),
      scriptedDraft(V, 2, want, () => true),
      prompt,
      {
        maxNewTokens: 6,
        temperature: 0,
        seed: 1,
        draftTokens: 4,
      },
    );
    assert.deepEqual(wrong.tokens, want);
    assert.equal(wrong.rounds.length, 6);
    assert.ok(wrong.rounds.every((round) => round.accepted === 0));
    assert.ok(wrong.rounds.slice(0, 2).every((round) => round.proposed === 4));
  });

  it('stops after the stop token, even inside an accepted proposal, and leaves the target at the kept tokens', async () => {
    const prompt = [5, 6, 7];
    const plain = await plainGreedy(new WindowTarget(model), prompt, 8);
    const stopToken = plain[2] as number;
    const want = plain.slice(0, plain.indexOf(stopToken) + 1);
    const target = new WindowTarget(model);
    const { tokens } = await collect(
      target,
      scriptedDraft(V, 3, plain, () => false),
      prompt,
      {
        maxNewTokens: 8,
        temperature: 0,
        seed: 1,
        stopToken,
        draftTokens: 4,
      },
    );
    assert.deepEqual(tokens, want);
    assert.deepEqual(target.tokens, [...prompt, ...plain.slice(0, 4)]);
  });

  it('rejects a bad draft length with InvalidSpeculationOptionsError and bad sampling options by name', async () => {
    const draft = scriptedDraft(V, 1, [], () => false);
    for (const draftTokens of [-1, 1.5, Number.NaN]) {
      await assert.rejects(
        collect(new WindowTarget(model), draft, [1], { maxNewTokens: 2, seed: 1, draftTokens }),
        { name: 'InvalidSpeculationOptionsError' },
      );
    }
    await assert.rejects(
      collect(new WindowTarget(model), draft, [1], { maxNewTokens: 2, seed: 1, topP: 0 }),
      {
        name: 'InvalidSamplingOptionsError',
      },
    );
  });
});

/** A sampling draft whose q depends on the last token (a rotated fixed distribution), drawn with the session rng. */
const rotatingDraft = (q0: readonly number[]): DraftModel => ({
  draft(context, k, rng) {
    assert.ok(rng, 'a sampling draft gets the session rng');
    const ctx = [...context];
    const tokens: number[] = [];
    const q: Float64Array[] = [];
    for (let i = 0; i < k; i++) {
      const shift = ctx[ctx.length - 1] as number;
      const dist = Float64Array.from(q0, (_, x) => q0[(x + shift) % q0.length] as number);
      const token = sampleWeights(dist, rng);
      tokens.push(token);
      q.push(dist);
      ctx.push(token);
    }
    return { tokens, q };
  },
});

/** Exact probability of every sequence of `length` next tokens under the target's sampling distribution. */
function exactJoint(
  m: Gpt,
  prompt: readonly number[],
  length: number,
  options: SamplingOptions,
): Map<string, number> {
  const Vm = m.config.vocabSize;
  let layer = new Map<string, { tokens: number[]; p: number }>([['', { tokens: [], p: 1 }]]);
  for (let step = 0; step < length; step++) {
    const next = new Map<string, { tokens: number[]; p: number }>();
    for (const { tokens, p } of layer.values()) {
      const all = [...prompt, ...tokens];
      const logits = m.forward(all).slice((all.length - 1) * Vm, all.length * Vm);
      tokenDistribution(logits, options).forEach((px, x) => {
        if (px > 0) next.set([...tokens, x].join(','), { tokens: [...tokens, x], p: p * px });
      });
    }
    layer = next;
  }
  return new Map([...layer].map(([key, { p }]) => [key, p]));
}

/**
 * Pearson's chi-square statistic of observed counts against exact
 * probabilities; cells expecting fewer than 5 are pooled into one. A count in
 * a cell of probability zero makes it infinite.
 */
function chiSquare(
  counts: Map<string, number>,
  exact: Map<string, number>,
  n: number,
): { stat: number; df: number } {
  let stat = 0;
  let cells = 0;
  let pooledExpected = 0;
  let pooledObserved = 0;
  for (const key of counts.keys()) if (!exact.has(key)) return { stat: Number.POSITIVE_INFINITY, df: 0 };
  for (const [key, p] of exact) {
    const expected = p * n;
    const observed = counts.get(key) ?? 0;
    if (expected < 5) {
      pooledExpected += expected;
      pooledObserved += observed;
      continue;
    }
    stat += (observed - expected) ** 2 / expected;
    cells++;
  }
  if (pooledExpected > 0) {
    stat += (pooledObserved - pooledExpected) ** 2 / pooledExpected;
    cells++;
  }
  return { stat, df: cells - 1 };
}

describe('speculativeDecode, sampling', () => {
  const small = makeGptConfig({ vocabSize: 4, contextLength: 8, dModel: 8, nHeads: 2, nLayers: 1 });
  const smallParams = GptParams.init(small, 3);
  for (let i = 0; i < smallParams.flat.length; i++) smallParams.flat[i] = (smallParams.flat[i] as number) * 3;
  const smallModel = new Gpt(smallParams);
  const prompt = [1, 3];
  const runs = 6000;

  for (const sampling of [
    { temperature: 1 },
    { temperature: 0.7, topK: 3 },
    { temperature: 1.3, topP: 0.8 },
  ]) {
    it(`draws the first three tokens from the target's distribution (${JSON.stringify(sampling)})`, async () => {
      const exact = exactJoint(smallModel, prompt, 3, sampling);
      const draft = rotatingDraft([0.55, 0.05, 0.3, 0.1]);
      const counts = new Map<string, number>();
      let proposed = 0;
      let accepted = 0;
      for (let seed = 0; seed < runs; seed++) {
        const options = { ...sampling, maxNewTokens: 3, seed, draftTokens: 2 };
        const { tokens, rounds } = await collect(new WindowTarget(smallModel), draft, prompt, options);
        const key = tokens.join(',');
        counts.set(key, (counts.get(key) ?? 0) + 1);
        for (const r of rounds) {
          proposed += r.proposed;
          accepted += r.accepted;
        }
      }
      const { stat, df } = chiSquare(counts, exact, runs);
      // df + 6 standard deviations of the chi-square distribution: a correct rule passes with any seed set.
      const bound = df + 6 * Math.sqrt(2 * df);
      assert.ok(stat < bound, `chi-square ${stat.toFixed(1)} >= ${bound.toFixed(1)} (df ${df})`);
      // The draft is often wrong, so both the accept and the residual paths were taken many times.
      assert.ok(accepted > runs / 4 && proposed - accepted > runs / 4, `accepted ${accepted} of ${proposed}`);
    });
  }

  it('is deterministic for a seed and differs between seeds', async () => {
    const draft = rotatingDraft([0.4, 0.2, 0.2, 0.2]);
    const options = { maxNewTokens: 20, seed: 9, draftTokens: 3 };
    const a = await collect(new WindowTarget(smallModel), draft, prompt, options);
    const b = await collect(new WindowTarget(smallModel), draft, prompt, options);
    assert.deepEqual(a, b);
    const others = await Promise.all(
      [10, 11, 12].map((seed) => collect(new WindowTarget(smallModel), draft, prompt, { ...options, seed })),
    );
    assert.ok(others.some((o) => o.tokens.join() !== a.tokens.join()));
  });
});

/** The local decoder in one shard per exchange: the model's own bits, with the design's sliding window. */
function localTarget(params: GptParams): Decoder {
  return new Decoder(params, localExchangeBackend(params, { shardsPerMatrix: 1 }));
}
