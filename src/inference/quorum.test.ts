import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InferenceRequest } from '../chain/inferenceRequest.ts';
import { sessionIdOf } from '../chain/inferenceRequest.ts';
import { GptParams, makeGptConfig } from '../model/index.ts';
import { decodeTokens } from './decoder.ts';
import { localExchangeBackend } from './localExchangeBackend.ts';
import type { TokenEvent } from './session.ts';
import { startTestInferenceNetwork, type TestInferenceNetwork } from './testing.ts';

const config = makeGptConfig({ vocabSize: 61, contextLength: 16, dModel: 24, nHeads: 3, nLayers: 2 });
const params = GptParams.init(config, 9);
const prompt = [3, 14, 15, 9, 26];
const run = { temperature: 0.9, topK: 20, seed: 3, maxNewTokens: 4 };
const sharding = { shardsPerMatrix: 2 };
/** The slow host; with r = 3 and three hosts every shard has it and the two fast ones. */
const SLOW = 2;

/** A request whose session id names the session (no chain here: only the settlement's evidence matters). */
const request: InferenceRequest = {
  querier: '0x00000000000000000000000000000000000000a1',
  gateway: '0x00000000000000000000000000000000000000a2',
  modelId: 1n,
  versionIndex: 0n,
  creditsPerToken: 1n,
  maxCredits: 100n,
  nonce: 7n,
  deadline: 2n ** 40n,
};

async function localTokens(): Promise<number[]> {
  const backend = localExchangeBackend(params, sharding);
  const out: number[] = [];
  for await (const t of decodeTokens(params, prompt, backend, run)) out.push(t);
  backend.dispose();
  return out;
}

/** Params whose every fifth weight is nudged: a host serving them answers wrong bits everywhere. */
function liarParams(): GptParams {
  const p = params.clone();
  for (let i = 0; i < p.flat.length; i += 5) p.flat[i] = Math.fround(p.flat[i]! * 1.001 + 1e-4);
  return p;
}

/**
 * A network whose host SLOW admits a new session only when `release` is
 * called: everything it answers in that session comes after the fast hosts'
 * answers (its first message waits; the rest queue behind it on its stream).
 */
async function slowNetwork(options: {
  lies: boolean;
  log: string[];
}): Promise<{ net: TestInferenceNetwork; release: () => void }> {
  let release = () => {};
  const admitted = new Promise<void>((resolve) => {
    release = resolve;
  });
  const net = await startTestInferenceNetwork({
    params,
    hosts: 3,
    replicas: 3,
    standbys: 0,
    sharding,
    servedParams: (i) => (options.lies && i === SLOW ? liarParams() : undefined),
    hostInit: (i, init) =>
      i === SLOW
        ? {
            ...init,
            admit: async (auth, session) => {
              await admitted;
              return init.admit(auth, session);
            },
          }
        : init,
    gateway: { log: (line) => options.log.push(line) },
  });
  return { net, release };
}

async function collect(events: AsyncIterable<TokenEvent>): Promise<TokenEvent[]> {
  const out: TokenEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('quorum: r = 3 with one slow host', () => {
  it('decides every exchange with the two fast hosts; the slow host’s late answers still win', async () => {
    const log: string[] = [];
    const { net, release } = await slowNetwork({ lies: false, log });
    try {
      const [fastA, fastB, slow] = net.hosts.map((h) => h.account.address) as [string, string, string];
      const session = net.gateway.openSession();
      const events = await collect(session.generate(prompt, run));
      assert.deepEqual(
        events.map((e) => e.token),
        await localTokens(),
      );
      // every token came while the slow host had answered nothing: the fast two decided every shard
      assert.equal(net.hosts[SLOW]!.server.stats.served, 0);
      for (const e of events) {
        assert.ok(e.votes.length > 0);
        for (const v of e.votes) assert.deepEqual([...v.agreed].sort(), [fastA, fastB].sort());
      }
      release();
      await session.close();
      assert.ok(net.hosts[SLOW]!.server.stats.served > 0);
      const receipt = await session.receipt();
      const tally = (h: string) => receipt.hosts.find((t) => t.address === h)!;
      assert.ok(tally(fastA).wins > 0);
      assert.deepEqual(tally(slow), { ...tally(fastA), address: slow });
      assert.deepEqual(session.failures, []);
      assert.deepEqual(log, []);
    } finally {
      release();
      await net.stop();
    }
  });

  it('judges a slow liar’s late answers lost, retires it (one log line) and can slash it', async () => {
    const log: string[] = [];
    const { net, release } = await slowNetwork({ lies: true, log });
    try {
      const [fastA, , slow] = net.hosts.map((h) => h.account.address) as [string, string, string];
      const session = net.gateway.openSession({ id: sessionIdOf(request) });
      const events = await collect(session.generate(prompt, run));
      assert.deepEqual(
        events.map((e) => e.token),
        await localTokens(),
      );
      assert.equal(net.hosts[SLOW]!.server.stats.served, 0);
      assert.ok(events.every((e) => e.votes.every((v) => v.outvoted.length === 0)));
      release();
      await session.close();
      const receipt = await session.receipt();
      const tally = (h: string) => receipt.hosts.find((t) => t.address === h)!;
      // every one of its answers lost: as many as the fast host won
      assert.deepEqual(tally(slow), { address: slow, wins: 0, losses: tally(fastA).wins, failures: 0 });
      assert.equal(log.length, 1);
      assert.match(log[0]!, new RegExp(`host ${slow} retired \\(outvoted\\)`));
      // it signs its losing answers when the session settles: the evidence that slashes it
      const { evidence } = await session.settlement(request);
      assert.ok(evidence.length > 0 && evidence.every((e) => e.accused.host === slow));
    } finally {
      release();
      await net.stop();
    }
  });
});
