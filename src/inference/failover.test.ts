import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hex, PrivateKeyAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { devAccount } from '../chain/devAccounts.ts';
import { GptParams, makeGptConfig } from '../model/index.ts';
import { HOST_COOLDOWN_MS } from './constants.ts';
import { decodeTokens } from './decoder.ts';
import { InferCacheMissingError } from './errors.ts';
import { exchangeShardKey } from './exchange.ts';
import { HostHealth } from './hostHealth.ts';
import { HostSessions, type ShardWindow } from './hostSessions.ts';
import { localExchangeBackend } from './localExchangeBackend.ts';
import type { InferenceMetrics } from './metrics.ts';
import type { ShardPlan } from './planner.ts';
import type { InferenceSession } from './session.ts';
import type { AttnShardWeights } from './shards/weights.ts';
import { startTestInferenceNetwork, type TestInferenceNetworkOptions, testNetworkPlan } from './testing.ts';

const config = makeGptConfig({ vocabSize: 61, contextLength: 16, dModel: 24, nHeads: 3, nLayers: 2 });
const params = GptParams.init(config, 13);
const prompt = [3, 14, 15, 9, 26];
const run = { temperature: 0.9, topK: 20, seed: 5, maxNewTokens: 8 };
const sharding = { shardsPerMatrix: 2 };

async function localTokens(): Promise<number[]> {
  const backend = localExchangeBackend(params, sharding);
  const out: number[] = [];
  for await (const t of decodeTokens(params, prompt, backend, run)) out.push(t);
  backend.dispose();
  return out;
}

async function tokensOf(session: InferenceSession): Promise<number[]> {
  const out: number[] = [];
  for await (const e of session.generate(prompt, run)) out.push(e.token);
  return out;
}

/** Fixed keys, so the plan (and which host serves what) is the same on every run. */
const devKeys = (n: number): PrivateKeyAccount[] =>
  Array.from({ length: n }, (_, i) => privateKeyToAccount(devAccount(i + 1).privateKey));

/** The plan of a network and the index of the host serving its first shard (the first attention head group). */
function planOf(
  shape: Omit<TestInferenceNetworkOptions, 'accounts'>,
  accounts: readonly PrivateKeyAccount[],
) {
  const plan = testNetworkPlan(
    shape,
    accounts.map((a) => a.address),
  );
  return { plan, first: accounts.findIndex((a) => a.address === plan.shards[0]!.hosts[0]) };
}

/** Checks that `line` is one failover of `host` naming every shard the plan gave it, each moved to a standby. */
function assertFailoverLine(line: string, plan: ShardPlan, host: string, why: string): void {
  assert.ok(line.includes(`host ${host} retired (${why})`), line);
  const moved = plan.shards.filter((s) => s.hosts.includes(host as Hex));
  assert.ok(moved.length > 0);
  for (const s of moved) assert.match(line, new RegExp(`${s.matrix.name}/${s.shard} → 0x[0-9a-fA-F]{40}`));
}

const newId = (i: number): Hex => `0x${i.toString(16).padStart(64, '0')}`;

describe('host health across sessions', () => {
  it('does not ask a host that timed out until its cool-down is over (its standby serves), then asks it again', async () => {
    const shape = { params, hosts: 4, replicas: 1, standbys: 1, sharding };
    const accounts = devKeys(4);
    const { plan, first: stuck } = planOf(shape, accounts);
    const [s1, s2, s3] = [newId(1), newId(2), newId(3)];
    // The stuck host never admits session 1 (it times out); it admits others at once. Its admissions are recorded.
    let unblock = () => {};
    const never = new Promise<void>((resolve) => {
      unblock = resolve;
    });
    const admitted: Hex[] = [];
    let clock = 1_000_000;
    const log: string[] = [];
    const counts = { started: 0, completed: 0, failed: 0, tokens: 0, failovers: 0 };
    const metrics: InferenceMetrics = {
      sessionStarted: () => counts.started++,
      sessionEnded: (outcome) => counts[outcome]++,
      token: () => counts.tokens++,
      failover: () => counts.failovers++,
    };
    const net = await startTestInferenceNetwork({
      ...shape,
      accounts,
      hostInit: (i, init) =>
        i !== stuck
          ? init
          : {
              ...init,
              admit: async (auth, session) => {
                admitted.push(session);
                if (session === s1) await never;
                return init.admit(auth, session);
              },
            },
      gateway: {
        health: new HostHealth({ now: () => clock }),
        timeoutMs: 1500,
        log: (line) => log.push(line),
        metrics,
      },
    });
    try {
      const want = await localTokens();
      const host = accounts[stuck]!.address;

      const first = net.gateway.openSession({ id: s1 });
      assert.deepEqual(await tokensOf(first), want);
      assert.deepEqual(
        first.failures.map((f) => [f.host, f.error]),
        [[host, 'InferTimeoutError']],
      );
      assert.equal(log.length, 1);
      assertFailoverLine(log[0]!, plan, host, 'InferTimeoutError');
      assert.deepEqual(counts, { started: 1, completed: 1, failed: 0, tokens: want.length, failovers: 1 });

      clock += HOST_COOLDOWN_MS - 1;
      const second = net.gateway.openSession({ id: s2 });
      assert.deepEqual(await tokensOf(second), want);
      assert.deepEqual(second.failures, []);
      assert.deepEqual(admitted, [s1]); // not asked: its standbys served its shards from the start
      assert.equal(log.length, 1);

      clock += 1;
      const parts = net.hosts[stuck]!.server.stats.parts;
      const third = net.gateway.openSession({ id: s3 });
      assert.deepEqual(await tokensOf(third), want);
      assert.deepEqual(third.failures, []);
      assert.deepEqual(admitted, [s1, s3]);
      assert.ok(net.hosts[stuck]!.server.stats.parts > parts);
      assert.equal(log.length, 1);
      assert.deepEqual(counts, {
        started: 3,
        completed: 3,
        failed: 0,
        tokens: 3 * want.length,
        failovers: 1,
      });
    } finally {
      unblock();
      await net.stop();
    }
  });
});

/**
 * A host's sessions that kill the host (its libp2p node stops, and the
 * message in hand fails before it is answered) when asked to extend an
 * attention window of `killAt` entries or more.
 */
class KillingSessions extends HostSessions {
  killedAt: number | undefined;
  constructor(
    readonly killAt: number,
    readonly kill: () => void,
  ) {
    super();
  }
  override window(session: Hex, key: string, shard: AttnShardWeights, capacity: number): ShardWindow {
    const window = super.window(session, key, shard, capacity);
    if (this.killedAt === undefined && window.chain.length >= this.killAt) {
      this.killedAt = window.chain.length;
      this.kill();
      throw new Error('killed mid-answer');
    }
    return window;
  }
}

describe('a host killed mid-answer', () => {
  it('is replaced by a standby that is sent the whole attention window (catch-up); the tokens stay bit-identical', async () => {
    const shape = { params, hosts: 3, replicas: 1, standbys: 2, sharding };
    const accounts = devKeys(3);
    const { plan, first: victim } = planOf(shape, accounts);
    const sessions = accounts.map(() => new HostSessions());
    const log: string[] = [];
    let killer: KillingSessions | undefined;
    let standbyHeldIt: boolean | undefined;
    const victimAttn = plan.shards.filter(
      (s) => s.matrix.matrix === 'attn' && s.hosts[0] === accounts[victim]!.address,
    );
    const standbyIndex = (s: (typeof victimAttn)[number]) =>
      accounts.findIndex((a) => a.address === s.standbys[0]);
    const keyOf = (s: (typeof victimAttn)[number]) => exchangeShardKey(s.matrix.layer, 'attn', s.shard);
    let id: Hex | undefined;
    const net = await startTestInferenceNetwork({
      ...shape,
      accounts,
      hostInit: (i, init, libp2p) => {
        if (i !== victim) return { ...init, sessions: sessions[i]! };
        killer = new KillingSessions(prompt.length + 3, () => {
          const s = victimAttn[0]!;
          const standby = sessions[standbyIndex(s)]!;
          standbyHeldIt = standby.has(id!) && standby.get(id!).windows.has(keyOf(s));
          void libp2p.stop();
        });
        return { ...init, sessions: killer };
      },
      gateway: { log: (line) => log.push(line) },
    });
    try {
      const session = net.gateway.openSession();
      id = session.id;
      assert.deepEqual(await tokensOf(session), await localTokens());
      const host = accounts[victim]!.address;
      assert.equal(killer!.killedAt, prompt.length + 3);
      assert.ok(session.failures.length > 0 && session.failures.every((f) => f.host === host));
      assert.equal(log.length, 1, log.join('\n'));
      // The stream breaks (transport) or, on a loaded machine, the call times out first.
      const why = session.failures[0]!.error;
      assert.ok(['InferTransportError', 'InferTimeoutError'].includes(why), why);
      assertFailoverLine(log[0]!, plan, host, why);
      // The standby held none of the window when the victim died, and holds all of it now.
      assert.equal(standbyHeldIt, false);
      const window = prompt.length + run.maxNewTokens - 1;
      for (const s of victimAttn) {
        const held = sessions[standbyIndex(s)]!.get(session.id).windows.get(keyOf(s));
        assert.equal(held?.chain.length, window, keyOf(s));
      }
    } finally {
      await net.stop();
    }
  });
});

describe('a host that dropped a session’s caches', () => {
  it('is sent the whole window again, and the session goes on with the same tokens', async () => {
    // One cached session per host, droppable at once: two interleaved sessions take each other's caches.
    const net = await startTestInferenceNetwork({
      params,
      hosts: 2,
      replicas: 1,
      standbys: 0,
      sharding,
      hostInit: (_, init) => ({ ...init, sessions: new HostSessions({ maxCached: 1, idleMs: 0 }) }),
    });
    try {
      const a = net.gateway.openSession().generate(prompt, run);
      const b = net.gateway.openSession().generate(prompt, run);
      const tokens: [number[], number[]] = [[], []];
      for (let i = 0; i < run.maxNewTokens; i++) {
        for (const [j, gen] of [a, b].entries()) {
          const next = await gen.next();
          assert.ok(!next.done);
          tokens[j]!.push(next.value.token);
        }
      }
      const want = await localTokens();
      assert.deepEqual(tokens, [want, want]);
      assert.ok(net.hosts.some((h) => (h.server.stats.refused.NO_CACHE ?? 0) > 0));
    } finally {
      await net.stop();
    }
  });
});

/** A lying host's sessions: it claims to hold no cache, even when sent the whole window. */
class NoCacheSessions extends HostSessions {
  override window(): ShardWindow {
    throw new InferCacheMissingError('no cache, ever');
  }
}

describe('a host that always claims to have lost its caches', () => {
  it('is failed once it refuses the whole window too, instead of being sent it again forever', async () => {
    const shape = { params, hosts: 3, replicas: 1, standbys: 2, sharding };
    const accounts = devKeys(3);
    const { first: liar } = planOf(shape, accounts);
    const net = await startTestInferenceNetwork({
      ...shape,
      accounts,
      hostInit: (i, init) => (i === liar ? { ...init, sessions: new NoCacheSessions() } : init),
    });
    try {
      const session = net.gateway.openSession();
      assert.deepEqual(await tokensOf(session), await localTokens());
      const host = accounts[liar]!.address;
      assert.ok(
        session.failures.some((f) => f.host === host && f.error === 'InferCacheMissingError'),
        JSON.stringify(session.failures),
      );
    } finally {
      await net.stop();
    }
  });
});
