import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { privateKeyToAccount } from 'viem/accounts';
import { devAccount } from '../chain/devAccounts.ts';
import { type InferenceRequest, sessionIdOf } from '../chain/inferenceRequest.ts';
import { statementLeaf } from '../chain/inferenceStatement.ts';
import { merkleProof, merkleRoot, verifyMerkleProof } from '../chain/voteMerkle.ts';
import { Gpt, GptGenerator, GptParams, generate, importGpt, makeGptConfig, Rng } from '../model/index.ts';
import type { TokenEvent } from './session.ts';
import {
  startTestInferenceNetwork,
  TEST_DOMAIN,
  type TestInferenceNetwork,
  type TestInferenceNetworkOptions,
} from './testing.ts';

const config = makeGptConfig({ vocabSize: 61, contextLength: 12, dModel: 24, nHeads: 3, nLayers: 2 });
const params = GptParams.init(config, 7);
const prompt = [3, 14, 15, 9, 26];
const sampling = { temperature: 0.9, topK: 20, seed: 42 };

/** The tokens of local generation with the model's own `generate`. */
function localTokens(maxNewTokens: number): number[] {
  return generate(new Gpt(params), prompt, new Rng(sampling.seed), { ...sampling, maxNewTokens });
}

/** A request whose session id names a session (no chain: only the id and the receipt matter here). */
const request: InferenceRequest = {
  querier: '0x00000000000000000000000000000000000000a1',
  gateway: '0x00000000000000000000000000000000000000a2',
  modelId: 1n,
  versionIndex: 0n,
  creditsPerToken: 1n,
  maxCredits: 100n,
  nonce: 1n,
  deadline: 2n ** 40n,
};

/** Starts a loopback network, runs `body` against it, and stops it whatever happens. */
async function withNetwork(
  options: TestInferenceNetworkOptions,
  body: (net: TestInferenceNetwork) => Promise<void>,
): Promise<void> {
  const net = await startTestInferenceNetwork(options);
  try {
    await body(net);
  } finally {
    await net.stop();
  }
}

async function collect(events: AsyncIterable<TokenEvent>): Promise<TokenEvent[]> {
  const out: TokenEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

/** Params whose every weight is nudged: a host serving them answers wrong bits everywhere. */
function liarParams(): GptParams {
  const p = params.clone();
  for (let i = 0; i < p.flat.length; i += 5) p.flat[i] = Math.fround(p.flat[i]! * 1.001 + 1e-4);
  return p;
}

describe('distributed inference over loopback libp2p', () => {
  let net: TestInferenceNetwork;
  before(async () => {
    net = await startTestInferenceNetwork({
      params,
      hosts: 4,
      replicas: 1,
      standbys: 1,
      sharding: { shardsPerMatrix: 3 },
    });
  });
  after(() => net.stop());

  it('gives logits bit-identical to the local generator, step by step', async () => {
    const session = net.gateway.openSession();
    const local = new GptGenerator(params);
    const remote = new GptGenerator(params);
    for (const t of [...prompt, 40, 2, 60]) {
      const want = new Uint8Array(new Float32Array(local.step(t)).buffer);
      const got = new Uint8Array(new Float32Array(await remote.stepAsync(t, session.backend)).buffer);
      assert.deepEqual(got, want);
    }
    assert.deepEqual(session.failures, []);
  });

  it('streams the same tokens as local generate, past the context length (window slide)', async () => {
    const session = net.gateway.openSession();
    const events = await collect(session.generate(prompt, { ...sampling, maxNewTokens: 10 }));
    assert.deepEqual(
      events.map((e) => e.token),
      localTokens(10),
    );
    // every matrix of every token was decided, each shard by one agreeing host
    const perToken = config.nLayers * 4 * 3 + 3;
    assert.ok(
      events.every((e) => e.votes.length % perToken === 0 && e.votes.every((v) => v.agreed.length === 1)),
    );
    const receipt = await session.receipt();
    assert.equal(receipt.tokens, 10);
    assert.ok(receipt.hosts.every((h) => h.losses === 0 && h.failures === 0 && h.wins > 0));
  });
});

describe('consensus with r = 3', () => {
  it('outvotes one lying host per shard and records it, with the answer unchanged', async () => {
    await withNetwork(
      {
        params,
        hosts: 4,
        replicas: 3,
        standbys: 1,
        sharding: { shardsPerMatrix: 2 },
        servedParams: (i) => (i === 0 ? liarParams() : undefined),
      },
      async (net) => {
        const liar = net.hosts[0]!.account.address;
        const session = net.gateway.openSession();
        const events = await collect(session.generate(prompt, { ...sampling, maxNewTokens: 4 }));
        assert.deepEqual(
          events.map((e) => e.token),
          localTokens(4),
        );
        const outvoted = events.flatMap((e) => e.votes.flatMap((v) => v.outvoted));
        assert.ok(outvoted.length >= 1 && outvoted.every((h) => h === liar));
        const receipt = await session.receipt();
        const tally = receipt.hosts.find((h) => h.address === liar)!;
        assert.ok(tally.losses >= 1);
        assert.equal(tally.wins, 0);
        assert.ok(receipt.hosts.filter((h) => h.address !== liar).every((h) => h.losses === 0));
        assert.match(receipt.votesRoot, /^0x[0-9a-f]{64}$/);
      },
    );
  });

  it('breaks a split vote by voting again with a standby at a fresh step (no replay refusal, the liar accusable)', async () => {
    // r = 2: a liar splits its shard 1:1 and a standby is pulled in. Fixed keys make the plan
    // fixed; pick a liar whose first matrix has a standby already serving the matrix's other shard.
    const accounts = [1, 2, 3, 4].map((i) => privateKeyToAccount(devAccount(i).privateKey));
    const options = {
      params,
      hosts: 4,
      replicas: 2,
      standbys: 2,
      sharding: { shardsPerMatrix: 2 },
      accounts,
    };
    const probe = await startTestInferenceNetwork(options);
    await probe.stop();
    const liarIndex = accounts.findIndex(({ address }) => {
      const first = probe.plan.shards.find((s) => s.hosts.includes(address))!.matrix.name;
      const matrix = probe.plan.shards.filter((s) => s.matrix.name === first);
      // every shard the liar splits is broken by a standby already asked for another shard of the product
      return matrix
        .filter((s) => s.hosts.includes(address))
        .every((s) => matrix.some((o) => o !== s && o.hosts.includes(s.standbys[0]!)));
    });
    assert.ok(liarIndex >= 0, 'no host of this plan exercises the retry step');
    await withNetwork(
      {
        ...options,
        servedParams: (i) => (i === liarIndex ? liarParams() : undefined),
      },
      async (net) => {
        const liar = accounts[liarIndex]!.address;
        const session = net.gateway.openSession({ id: sessionIdOf(request) });
        const events = await collect(session.generate(prompt, { ...sampling, maxNewTokens: 3 }));
        assert.deepEqual(
          events.map((e) => e.token),
          localTokens(3),
        );
        assert.deepEqual(session.failures, []);
        const outvoted = events.flatMap((e) => e.votes.flatMap((v) => v.outvoted));
        assert.ok(outvoted.length >= 1 && outvoted.every((h) => h === liar));
        // the split shard was voted again at one step with the standby: the liar is accused by two of its three hosts
        const { evidence } = await session.settlement(request);
        assert.deepEqual(
          evidence.map((e) => [e.accused.host, e.majority.length]),
          [[liar, 2]],
        );
      },
    );
  });

  it('decides within epsilon in tolerant mode', async () => {
    await withNetwork(
      {
        params,
        hosts: 4,
        replicas: 3,
        standbys: 1,
        sharding: { shardsPerMatrix: 2 },
        servedParams: (i) => (i === 1 ? liarParams() : undefined),
        gateway: { mode: { kind: 'tolerant', epsilon: 0 } },
      },
      async (net) => {
        const session = net.gateway.openSession();
        const events = await collect(session.generate(prompt, { ...sampling, maxNewTokens: 3 }));
        assert.deepEqual(
          events.map((e) => e.token),
          localTokens(3),
        );
        const liar = net.hosts[1]!.account.address;
        assert.ok(events.some((e) => e.votes.some((v) => v.outvoted.includes(liar))));
      },
    );
  });
});

describe('failover and forged signatures', () => {
  it('keeps answering when a host stops mid-generation (a standby takes over)', async () => {
    await withNetwork(
      {
        params,
        hosts: 3,
        replicas: 1,
        standbys: 2,
        sharding: { shardsPerMatrix: 3 },
      },
      async (net) => {
        const session = net.gateway.openSession();
        const tokens: number[] = [];
        for await (const e of session.generate(prompt, { ...sampling, maxNewTokens: 6 })) {
          tokens.push(e.token);
          if (tokens.length === 2) await net.hosts[1]!.libp2p.stop();
        }
        assert.deepEqual(tokens, localTokens(6));
        const stopped = net.hosts[1]!.account.address;
        assert.ok(session.failures.length >= 1 && session.failures.every((f) => f.host === stopped));
        const receipt = await session.receipt();
        assert.equal(receipt.hosts.find((h) => h.address === stopped)!.failures, 1);
      },
    );
  });

  it('rejects answers signed by another key (InferSignatureError) and still answers', async () => {
    await withNetwork(
      {
        params,
        hosts: 4,
        replicas: 1,
        standbys: 2,
        sharding: { shardsPerMatrix: 2 },
        forgeSignatures: (i) => i === 2,
      },
      async (net) => {
        const session = net.gateway.openSession();
        const events = await collect(session.generate(prompt, { ...sampling, maxNewTokens: 2 }));
        assert.deepEqual(
          events.map((e) => e.token),
          localTokens(2),
        );
        const forger = net.hosts[2]!.account.address;
        assert.deepEqual(
          session.failures.map((f) => [f.host, f.error]),
          [[forger, 'InferSignatureError']],
        );
      },
    );
  });

  it('finds forged signatures when checking at receipt time', async () => {
    await withNetwork(
      {
        params,
        hosts: 2,
        replicas: 1,
        standbys: 0,
        sharding: { shardsPerMatrix: 2 },
        forgeSignatures: (i) => i === 0,
        gateway: { signatureCheck: 'at-receipt' },
      },
      async (net) => {
        const session = net.gateway.openSession();
        await collect(session.generate(prompt, { ...sampling, maxNewTokens: 1 }));
        assert.equal(session.failures.length, 0);
        const receipt = await session.receipt();
        const forger = net.hosts[0]!.account.address;
        assert.ok(
          session.failures.length > 0 &&
            session.failures.every((f) => f.host === forger && f.error === 'InferSignatureError'),
        );
        assert.ok(receipt.hosts.find((h) => h.address === forger)!.failures > 0);
        // a second receipt neither fails the forger again nor changes the root
        const failures = session.failures.length;
        assert.equal((await session.receipt()).votesRoot, receipt.votesRoot);
        assert.equal(session.failures.length, failures);
      },
    );
  });
});

describe('sealing per token', () => {
  it('gives the same tokens with one signature per host per token, and catches a forger', async () => {
    await withNetwork(
      {
        params,
        hosts: 4,
        replicas: 1,
        standbys: 2,
        sharding: { shardsPerMatrix: 2 },
        forgeSignatures: (i) => i === 3,
        gateway: { sealEvery: 'token' },
      },
      async (net) => {
        const session = net.gateway.openSession();
        const events = await collect(session.generate(prompt, { ...sampling, maxNewTokens: 3 }));
        assert.deepEqual(
          events.map((e) => e.token),
          localTokens(3),
        );
        const forger = net.hosts[3]!.account.address;
        assert.deepEqual(
          session.failures.map((f) => [f.host, f.error]),
          [[forger, 'InferSignatureError']],
        );
        const receipt = await session.receipt();
        // honest hosts signed once per token they worked in: far fewer votes than host calls
        assert.ok(receipt.votes > 0 && receipt.votes <= 3 * 3);
        assert.ok(session.stats.calls > 3 * receipt.votes);
      },
    );
  });
});

describe('vote leaves', () => {
  it('prove membership in the votes root', async () => {
    const leaves = Array.from({ length: 5 }, (_, i) =>
      statementLeaf(
        {
          host: '0x0000000000000000000000000000000000000001',
          statement: {
            session: `0x${'ab'.repeat(32)}`,
            items: [
              {
                step: i,
                layer: 0,
                matrix: 'mlp.c_fc',
                shard: 0,
                input: `0x${'ef'.repeat(32)}`,
                digest: `0x${'cd'.repeat(32)}`,
              },
            ],
          },
          signature: `0x${'11'.repeat(65)}`,
        },
        TEST_DOMAIN,
      ),
    );
    const root = merkleRoot(leaves);
    for (const leaf of leaves) {
      assert.equal(verifyMerkleProof(merkleProof(leaves, leaf)!, root, leaf), true);
    }
    assert.equal(verifyMerkleProof(merkleProof(leaves, leaves[1]!)!, root, leaves[0]!), false);
  });
});

describe('the network’s own model (models/*.safetensors, when present)', () => {
  const dir = new URL('../../models/', import.meta.url);
  const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.safetensors')) : undefined;
  it('gives logits bit-identical to local inference', {
    skip: file === undefined && 'no model file',
  }, async () => {
    const { params: model } = importGpt(new Uint8Array(readFileSync(new URL(file!, dir))));
    await withNetwork(
      {
        params: model,
        hosts: 3,
        replicas: 1,
        standbys: 0,
        sharding: { shardsPerMatrix: 2 },
      },
      async (net) => {
        const session = net.gateway.openSession();
        const local = new GptGenerator(model);
        const remote = new GptGenerator(model);
        for (const t of [1, 2, 3, 4]) {
          const want = new Uint8Array(new Float32Array(local.step(t)).buffer);
          const got = new Uint8Array(new Float32Array(await remote.stepAsync(t, session.backend)).buffer);
          assert.deepEqual(got, want);
        }
      },
    );
  });
});
