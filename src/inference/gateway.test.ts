import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { PrivateKeyAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { devAccount } from '../chain/devAccounts.ts';
import { type InferenceRequest, sessionIdOf } from '../chain/inferenceRequest.ts';
import { statementLeaf } from '../chain/inferenceStatement.ts';
import { merkleProof, merkleRoot, verifyMerkleProof } from '../chain/voteMerkle.ts';
import { GptParams, importGpt, makeGptConfig } from '../model/index.ts';
import { SHIPPED_CHECKPOINT } from '../model/shipped.ts';
import { type DecodeOptions, Decoder, decodeTokens } from './decoder.ts';
import { localExchangeBackend } from './localExchangeBackend.ts';
import type { Sharding } from './planner.ts';
import type { TokenEvent } from './session.ts';
import {
  startTestInferenceNetwork,
  TEST_DOMAIN,
  type TestInferenceNetwork,
  type TestInferenceNetworkOptions,
  testNetworkPlan,
} from './testing.ts';

const config = makeGptConfig({ vocabSize: 61, contextLength: 12, dModel: 24, nHeads: 3, nLayers: 2 });
const params = GptParams.init(config, 7);
const prompt = [3, 14, 15, 9, 26];
const sampling = { temperature: 0.9, topK: 20, seed: 42 };

/** The tokens of local decoding in the plan's order: the reference every network must equal bit for bit. */
async function localTokens(
  maxNewTokens: number,
  sharding: Sharding,
  model: GptParams = params,
  options: Omit<DecodeOptions, 'maxNewTokens'> = sampling,
): Promise<number[]> {
  const backend = localExchangeBackend(model, sharding);
  const out: number[] = [];
  for await (const t of decodeTokens(model, prompt, backend, { ...options, maxNewTokens })) out.push(t);
  backend.dispose();
  return out;
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

/** Params whose every fifth weight is nudged: a host serving them answers wrong bits everywhere. */
function liarParams(): GptParams {
  const p = params.clone();
  for (let i = 0; i < p.flat.length; i += 5) p.flat[i] = Math.fround(p.flat[i]! * 1.001 + 1e-4);
  return p;
}

/** Fixed keys (dev accounts from `from` on), so a network's plan is the same on every run. */
const devKeys = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => privateKeyToAccount(devAccount(from + i).privateKey));

/** Index of the host serving the plan's first shard (asked from the first exchange on). */
function firstHost(
  options: Omit<TestInferenceNetworkOptions, 'accounts'>,
  accounts: readonly PrivateKeyAccount[],
): number {
  const plan = testNetworkPlan(
    options,
    accounts.map((a) => a.address),
  );
  return accounts.findIndex((a) => a.address === plan.shards[0]!.hosts[0]);
}

const bytes = (x: Float32Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

describe('distributed inference over loopback libp2p', () => {
  const sharding = { shardsPerMatrix: 3 };
  let net: TestInferenceNetwork;
  before(async () => {
    net = await startTestInferenceNetwork({ params, hosts: 4, replicas: 1, standbys: 1, sharding });
  });
  after(() => net.stop());

  it('gives logits bit-identical to local decoding, forward by forward, past the context (window slide)', async () => {
    const session = net.gateway.openSession();
    const local = new Decoder(params, localExchangeBackend(params, sharding));
    const remote = new Decoder(params, session.backend);
    for (const tokens of [prompt, [40], [2, 60], [7], [8], [9], [10], [11]]) {
      const want = await local.forward(tokens, tokens.length);
      const got = await remote.forward(tokens, tokens.length);
      assert.deepEqual(bytes(got), bytes(want));
      assert.equal(remote.length, local.length);
    }
    assert.ok(local.length < 12, 'the window slid');
    assert.deepEqual(session.failures, []);
  });

  it('streams the same tokens as local decoding past the context length, each exchange decided once', async () => {
    const session = net.gateway.openSession();
    const events = await collect(session.generate(prompt, { ...sampling, maxNewTokens: 10 }));
    assert.deepEqual(
      events.map((e) => e.token),
      await localTokens(10, sharding),
    );
    // every shard of every exchange of every token decided by one host; nothing fed again after the slide
    const perToken = config.nLayers * 2 * 3 + 3;
    for (const e of events) {
      assert.equal(e.votes.length, perToken);
      assert.ok(e.votes.every((v) => v.agreed.length === 1 && v.outvoted.length === 0));
    }
    const receipt = await session.receipt();
    assert.equal(receipt.tokens, 10);
    assert.ok(receipt.hosts.every((h) => h.losses === 0 && h.failures === 0 && h.wins > 0));
  });
});

describe('consensus with r = 3', () => {
  const sharding = { shardsPerMatrix: 2 };

  it('outvotes one lying host per shard and records it, with the answer unchanged', async () => {
    const log: string[] = [];
    await withNetwork(
      {
        params,
        hosts: 4,
        replicas: 3,
        standbys: 1,
        sharding,
        servedParams: (i) => (i === 0 ? liarParams() : undefined),
        gateway: { log: (line) => log.push(line) },
      },
      async (net) => {
        const liar = net.hosts[0]!.account.address;
        const session = net.gateway.openSession();
        const events = await collect(session.generate(prompt, { ...sampling, maxNewTokens: 4 }));
        assert.deepEqual(
          events.map((e) => e.token),
          await localTokens(4, sharding),
        );
        // outvoted when its shard is decided, or when its answer comes after the decision (late)
        const outvoted = events.flatMap((e) => e.votes.flatMap((v) => v.outvoted));
        assert.ok(outvoted.every((h) => h === liar));
        const receipt = await session.receipt();
        const tally = receipt.hosts.find((h) => h.address === liar)!;
        assert.ok(tally.losses >= 1);
        assert.equal(tally.wins, 0);
        assert.ok(receipt.hosts.filter((h) => h.address !== liar).every((h) => h.losses === 0));
        assert.match(receipt.votesRoot, /^0x[0-9a-f]{64}$/);
        // retired once, for the rest of the session
        assert.equal(log.filter((l) => l.includes(liar)).length, 1);
        assert.match(log[0]!, /retired \(outvoted\)/);
      },
    );
  });

  it('breaks a split vote by voting again with a standby at a fresh step (no replay refusal, the liar accusable)', async () => {
    // r = 2: a liar splits its shard 1:1 and a standby is pulled in. Fixed keys make the plan
    // fixed; pick keys and a liar whose first exchange has a standby already serving the exchange's
    // other shard (asked at the exchange's step, it must answer the re-vote at a fresh one).
    const shape = { params, hosts: 4, replicas: 2, standbys: 2, sharding };
    const found = [1, 2, 3, 4, 5, 6].flatMap((from) => {
      const accounts = devKeys(4, from);
      const plan = testNetworkPlan(
        shape,
        accounts.map((a) => a.address),
      );
      const liarIndex = accounts.findIndex(({ address }) => {
        const first = plan.shards.find((s) => s.hosts.includes(address))!.matrix.name;
        const exchange = plan.shards.filter((s) => s.matrix.name === first);
        return exchange
          .filter((s) => s.hosts.includes(address))
          .every((s) => exchange.some((o) => o !== s && o.hosts.includes(s.standbys[0]!)));
      });
      return liarIndex < 0 ? [] : [{ accounts, liarIndex }];
    });
    assert.ok(found.length > 0, 'no plan exercises the fresh step');
    const { accounts, liarIndex } = found[0]!;
    const options = { ...shape, accounts };
    await withNetwork(
      { ...options, servedParams: (i) => (i === liarIndex ? liarParams() : undefined) },
      async (net) => {
        const liar = accounts[liarIndex]!.address;
        const session = net.gateway.openSession({ id: sessionIdOf(request) });
        const events = await collect(session.generate(prompt, { ...sampling, maxNewTokens: 3 }));
        assert.deepEqual(
          events.map((e) => e.token),
          await localTokens(3, sharding),
        );
        assert.deepEqual(session.failures, []);
        const outvoted = events.flatMap((e) => e.votes.flatMap((v) => v.outvoted));
        assert.ok(outvoted.every((h) => h === liar));
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
        sharding,
        servedParams: (i) => (i === 1 ? liarParams() : undefined),
        gateway: { mode: { kind: 'tolerant', epsilon: 0 } },
      },
      async (net) => {
        const session = net.gateway.openSession({ id: sessionIdOf(request) });
        const events = await collect(session.generate(prompt, { ...sampling, maxNewTokens: 3 }));
        assert.deepEqual(
          events.map((e) => e.token),
          await localTokens(3, sharding),
        );
        const liar = net.hosts[1]!.account.address;
        assert.ok(events.every((e) => e.votes.every((v) => v.outvoted.every((h) => h === liar))));
        const tally = (await session.receipt()).hosts.find((h) => h.address === liar)!;
        assert.ok(tally.losses >= 1 && tally.wins === 0);
        // tolerant mode accuses nobody on chain: honest digests may differ
        assert.deepEqual((await session.settlement(request)).evidence, []);
      },
    );
  });
});

describe('failover and forged signatures', () => {
  it('keeps answering when a host stops mid-generation (a standby takes over)', async () => {
    const sharding = { shardsPerMatrix: 3 };
    const shape = { params, hosts: 3, replicas: 1, standbys: 2, sharding };
    const accounts = devKeys(3);
    const victim = firstHost(shape, accounts);
    await withNetwork({ ...shape, accounts }, async (net) => {
      const session = net.gateway.openSession();
      const tokens: number[] = [];
      for await (const e of session.generate(prompt, { ...sampling, maxNewTokens: 6 })) {
        tokens.push(e.token);
        if (tokens.length === 2) await net.hosts[victim]!.libp2p.stop();
      }
      assert.deepEqual(tokens, await localTokens(6, sharding));
      const stopped = net.hosts[victim]!.account.address;
      assert.ok(session.failures.length >= 1 && session.failures.every((f) => f.host === stopped));
      const receipt = await session.receipt();
      assert.equal(receipt.hosts.find((h) => h.address === stopped)!.failures, 1);
    });
  });

  it('rejects answers signed by another key (InferSignatureError) and still answers', async () => {
    const sharding = { shardsPerMatrix: 2 };
    const shape = { params, hosts: 4, replicas: 1, standbys: 2, sharding };
    const accounts = devKeys(4);
    const forgerIndex = firstHost(shape, accounts);
    await withNetwork(
      {
        ...shape,
        accounts,
        forgeSignatures: (i) => i === forgerIndex,
        gateway: { signatureCheck: 'each-response', sealEvery: 'response' },
      },
      async (net) => {
        const session = net.gateway.openSession();
        const events = await collect(session.generate(prompt, { ...sampling, maxNewTokens: 2 }));
        assert.deepEqual(
          events.map((e) => e.token),
          await localTokens(2, sharding),
        );
        const forger = net.hosts[forgerIndex]!.account.address;
        assert.deepEqual(
          session.failures.map((f) => [f.host, f.error]),
          [[forger, 'InferSignatureError']],
        );
      },
    );
  });

  it('finds forged signatures when checking at receipt time (the default)', async () => {
    const sharding = { shardsPerMatrix: 2 };
    const shape = { params, hosts: 2, replicas: 1, standbys: 0, sharding };
    const accounts = devKeys(2);
    const forgerIndex = firstHost(shape, accounts);
    await withNetwork({ ...shape, accounts, forgeSignatures: (i) => i === forgerIndex }, async (net) => {
      const session = net.gateway.openSession();
      const events = await collect(session.generate(prompt, { ...sampling, maxNewTokens: 2 }));
      assert.deepEqual(
        events.map((e) => e.token),
        await localTokens(2, sharding),
      );
      assert.equal(session.failures.length, 0);
      const receipt = await session.receipt();
      const forger = net.hosts[forgerIndex]!.account.address;
      assert.ok(
        session.failures.length > 0 &&
          session.failures.every((f) => f.host === forger && f.error === 'InferSignatureError'),
      );
      assert.ok(receipt.hosts.find((h) => h.address === forger)!.failures > 0);
      // a second receipt neither fails the forger again nor changes the root
      const failures = session.failures.length;
      assert.equal((await session.receipt()).votesRoot, receipt.votesRoot);
      assert.equal(session.failures.length, failures);
    });
  });
});

describe('sealing per token (the default)', () => {
  it('gives the same tokens with one signature per host per token, and catches a forger', async () => {
    const sharding = { shardsPerMatrix: 2 };
    const shape = { params, hosts: 4, replicas: 1, standbys: 2, sharding };
    const accounts = devKeys(4);
    const forgerIndex = firstHost(shape, accounts);
    await withNetwork(
      {
        ...shape,
        accounts,
        forgeSignatures: (i) => i === forgerIndex,
        gateway: { signatureCheck: 'each-response', sealTokens: 1 },
      },
      async (net) => {
        const session = net.gateway.openSession();
        const events = await collect(session.generate(prompt, { ...sampling, maxNewTokens: 3 }));
        assert.deepEqual(
          events.map((e) => e.token),
          await localTokens(3, sharding),
        );
        await session.close(); // the signature of each token is asked without waiting for it
        const forger = net.hosts[forgerIndex]!.account.address;
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
                matrix: 'mlp',
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

describe('the network’s own model (models/concord-char-v3.safetensors)', () => {
  it('gives logits bit-identical to local decoding', {
    skip: !existsSync(SHIPPED_CHECKPOINT) && 'no model file',
  }, async () => {
    const { params: model } = importGpt(new Uint8Array(readFileSync(SHIPPED_CHECKPOINT)));
    const sharding = { shardsPerMatrix: 2 };
    await withNetwork({ params: model, hosts: 3, replicas: 1, standbys: 0, sharding }, async (net) => {
      const session = net.gateway.openSession();
      const local = new Decoder(model, localExchangeBackend(model, sharding));
      const remote = new Decoder(model, session.backend);
      for (const tokens of [[1, 2, 3, 4], [5], [6]]) {
        const want = await local.forward(tokens, tokens.length);
        const got = await remote.forward(tokens, tokens.length);
        assert.deepEqual(bytes(got), bytes(want));
      }
    });
  });
});
