import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GptParams, makeGptConfig, NgramDraft } from '../model/index.ts';
import { type DecodeOptions, Decoder, decodeTokens } from './decoder.ts';
import { embedTokens } from './embedding.ts';
import { localExchangeBackend } from './localExchangeBackend.ts';
import type { Sharding } from './planner.ts';
import type { GenerateOptions, InferenceSession } from './session.ts';
import { type SpeculationRound, speculativeDecode } from './speculate.ts';
import { startTestInferenceNetwork, type TestInferenceNetwork } from './testing.ts';

// Four heads, so an attention exchange splits into up to four head groups.
const config = makeGptConfig({ vocabSize: 61, contextLength: 12, dModel: 32, nHeads: 4, nLayers: 2 });
const params = GptParams.init(config, 5);
const prompt = [3, 14, 15, 9, 26];
/** Longer than the context: decoding keeps its newest 12 tokens. */
const longPrompt = Array.from({ length: 20 }, (_, i) => (i * 7 + 3) % config.vocabSize);
const greedy = { temperature: 0, seed: 1 };
const seeded = { temperature: 0.9, topK: 20, seed: 42 };

/** Local decoding in the plan's order: the reference. */
async function local(sharding: Sharding, from: readonly number[], options: DecodeOptions): Promise<number[]> {
  const backend = localExchangeBackend(params, sharding);
  const out: number[] = [];
  for await (const t of decodeTokens(params, from, backend, options)) out.push(t);
  backend.dispose();
  return out;
}

/** Local speculative decoding with the Decoder over the local backend: the reference with a draft. */
async function localSpeculative(
  sharding: Sharding,
  draft: NgramDraft,
  options: DecodeOptions & { draftTokens: number },
): Promise<number[]> {
  const backend = localExchangeBackend(params, sharding);
  const out: number[] = [];
  for await (const t of speculativeDecode(new Decoder(params, backend), draft, prompt, options)) out.push(t);
  backend.dispose();
  return out;
}

async function tokensOf(session: InferenceSession, from: readonly number[], options: GenerateOptions) {
  const out: number[] = [];
  for await (const e of session.generate(from, options)) out.push(e.token);
  return out;
}

/** A draft that knows the model's greedy continuations of the prompt: mostly right, not always. */
async function trainedDraft(): Promise<NgramDraft> {
  const seen = [...prompt, ...(await local({ shardsPerMatrix: 1 }, prompt, { ...greedy, maxNewTokens: 24 }))];
  return NgramDraft.train(Int32Array.from(seen), config.vocabSize, {
    order: 3,
    minContextCount: 1,
    minCount: 1,
    discount: 0.5,
  });
}

for (const replicas of [1, 3]) {
  for (const shards of [1, 2, 4]) {
    describe(`distributed == local bit for bit, r = ${replicas}, ${shards} shard(s) per exchange`, () => {
      const sharding = { shardsPerMatrix: shards };
      let net: TestInferenceNetwork;
      before(async () => {
        net = await startTestInferenceNetwork({
          params,
          hosts: replicas + 1,
          replicas,
          standbys: 1,
          sharding,
        });
      });
      after(() => net.stop());

      it('greedy and seeded sampling, past the context (the window slides)', async () => {
        for (const options of [greedy, seeded]) {
          const run = { ...options, maxNewTokens: 12 };
          const session = net.gateway.openSession();
          assert.deepEqual(await tokensOf(session, prompt, run), await local(sharding, prompt, run));
          assert.deepEqual(session.failures, []);
        }
      });

      it('a prompt longer than the context', async () => {
        const run = { ...seeded, maxNewTokens: 4 };
        const session = net.gateway.openSession();
        assert.deepEqual(await tokensOf(session, longPrompt, run), await local(sharding, longPrompt, run));
      });

      it("embeddings: the hosts' pooled final hidden states equal the local computation bit for bit", async () => {
        const session = net.gateway.openSession();
        for (const tokens of [prompt, [7], longPrompt.slice(0, config.contextLength)]) {
          const backend = localExchangeBackend(params, sharding);
          const want = await embedTokens(params, tokens, backend);
          backend.dispose();
          const { embedding, votes } = await session.embed(tokens);
          assert.deepEqual(Buffer.from(embedding.buffer), Buffer.from(want.buffer));
          assert.ok(votes.length > 0);
        }
        // the session computed no output head and generated no token
        assert.equal((await session.receipt()).tokens, 0);
        assert.deepEqual(session.failures, []);
      });

      it('speculative decoding: the tokens of the local Decoder with the same draft, several per pass', async () => {
        const draft = await trainedDraft();
        const rounds: SpeculationRound[] = [];
        for (const options of [greedy, seeded]) {
          const run = { ...options, maxNewTokens: 14, draftTokens: 3 };
          const session = net.gateway.openSession();
          const from = rounds.length;
          const got = await tokensOf(session, prompt, { ...run, draft, onRound: (r) => rounds.push(r) });
          assert.deepEqual(got, await localSpeculative(sharding, draft, run));
          // greedy speculation gives exactly the tokens of greedy decoding
          if (options === greedy) assert.deepEqual(got, await local(sharding, prompt, run));
          // hosts sign at most once per pass, not once per token
          const passes = rounds.length - from;
          assert.ok((await session.receipt()).votes <= net.hosts.length * passes);
        }
        // drafts were accepted (several tokens per pass) and rejected (the hosts' caches rolled back)
        assert.ok(rounds.some((r) => r.accepted > 0));
        assert.ok(rounds.some((r) => r.accepted < r.proposed));
      });
    });
  }
}

describe('two concurrent sessions on one gateway', () => {
  const sharding = { shardsPerMatrix: 2 };
  it('share messages to the hosts (continuous batching) and both equal local decoding', async () => {
    // Every answer sealed: no separate sealing parts, so one session alone sends one part per message.
    const net = await startTestInferenceNetwork({
      params,
      hosts: 3,
      replicas: 1,
      standbys: 0,
      sharding,
      gateway: { sealEvery: 'response' },
    });
    try {
      const counts = () => {
        const parts = net.hosts.reduce((n, h) => n + h.server.stats.parts, 0);
        const served = net.hosts.reduce((n, h) => n + h.server.stats.served, 0);
        return { parts, served };
      };
      const runA = { ...seeded, maxNewTokens: 8 };
      const runB = { ...greedy, maxNewTokens: 8 };
      const wantA = await local(sharding, prompt, runA);
      const wantB = await local(sharding, longPrompt, runB);

      assert.deepEqual(await tokensOf(net.gateway.openSession(), prompt, runA), wantA);
      const alone = counts();
      assert.equal(alone.parts, alone.served);

      const [a, b] = await Promise.all([
        tokensOf(net.gateway.openSession(), prompt, runA),
        tokensOf(net.gateway.openSession(), longPrompt, runB),
      ]);
      assert.deepEqual(a, wantA);
      assert.deepEqual(b, wantB);
      const both = counts();
      assert.ok(
        both.parts - alone.parts > both.served - alone.served,
        `${both.parts - alone.parts} parts in ${both.served - alone.served} messages`,
      );
    } finally {
      await net.stop();
    }
  });
});
