import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Address, getAddress, keccak256, toHex } from 'viem';
import { makeGptConfig } from '../model/index.ts';
import { gptExchanges } from './exchange.ts';
import {
  type HostCandidate,
  type PlanShardsParameters,
  planShards,
  type ShardPlan,
  shardRanges,
} from './planner.ts';
import { exchangeShardBytes } from './shards/shardBytes.ts';

// A GPT-2-architecture model with small dimensions: 4 layers of 4 heads, dModel 64, 1024 tokens.
const config = makeGptConfig({ vocabSize: 1024, contextLength: 64, dModel: 64, nHeads: 4, nLayers: 4 });
const matrices = gptExchanges(config);
const sharding = { shardsPerMatrix: 4 };
const shardBytes = (spec: (typeof matrices)[number], units: readonly [number, number]) =>
  exchangeShardBytes(config, spec, units);
/** Bytes of every shard of the model once (what r = 1 needs in all). */
const MODEL_BYTES = matrices.reduce(
  (sum, m) => sum + shardRanges(m.rows, sharding).reduce((s, u) => s + shardBytes(m, u), 0),
  0,
);
const MODEL = keccak256(toHex('capped model'));
const addr = (i: number): Address => getAddress(`0x${(i + 1).toString(16).padStart(40, '0')}`);
const capped = (n: number, memory: (i: number) => number | undefined): HostCandidate[] =>
  Array.from({ length: n }, (_, i) => {
    const cap = memory(i);
    const host = { address: addr(i), stake: BigInt(1 + (i % 3)) };
    return cap === undefined ? host : { ...host, memory: cap };
  });
const params = (
  hosts: HostCandidate[],
  replicas: number,
  standbys = 1,
  sized = true,
): PlanShardsParameters => ({
  modelDigest: MODEL,
  matrices,
  hosts,
  replicas,
  standbys,
  sharding,
  ...(sized ? { shardBytes } : {}),
});

/** Bytes each host holds under the plan, hosting and standing by. */
function heldBytes(plan: ShardPlan): Map<Address, number> {
  const held = new Map<Address, number>();
  for (const s of plan.shards) {
    const bytes = shardBytes(s.matrix, [s.rowStart, s.rowEnd]);
    for (const h of [...s.hosts, ...s.standbys]) held.set(h, (held.get(h) ?? 0) + bytes);
  }
  return held;
}

/** Asserts every shard has r distinct hosts and distinct standbys apart from them, and no host holds more than its cap. */
function assertWithinCaps(plan: ShardPlan, hosts: readonly HostCandidate[], replicas: number): void {
  for (const s of plan.shards) {
    assert.equal(s.hosts.length, replicas);
    assert.equal(new Set([...s.hosts, ...s.standbys]).size, s.hosts.length + s.standbys.length);
  }
  for (const [address, bytes] of heldBytes(plan)) {
    const cap = hosts.find((h) => h.address === address)?.memory ?? Number.POSITIVE_INFINITY;
    assert.ok(bytes <= cap, `${address} holds ${bytes} > cap ${cap}`);
  }
}

describe('planShards with memory caps', () => {
  const cap40 = Math.floor(MODEL_BYTES * 0.4);

  it('fits the model on 4 hosts capped at 40% of its shard bytes at r = 1', () => {
    const hosts = capped(4, () => cap40);
    const plan = planShards(params(hosts, 1));
    assertWithinCaps(plan, hosts, 1);
    // every host serves something, and the caps leave room for some standbys
    assert.equal(new Set(plan.shards.flatMap((s) => s.hosts)).size, 4);
    assert.ok(plan.shards.some((s) => s.standbys.length === 1));
  });

  it('fits the model on 6 hosts capped at 40% at r = 2', () => {
    const hosts = capped(6, () => cap40);
    assertWithinCaps(planShards(params(hosts, 2)), hosts, 2);
  });

  it('throws ModelTooLargeError naming the shard and the missing bytes when 2 hosts at 40% cannot hold it', () => {
    assert.throws(
      () =>
        planShards(
          params(
            capped(2, () => cap40),
            1,
          ),
        ),
      (err: Error & { details?: string }) => {
        assert.equal(err.name, 'ModelTooLargeError');
        assert.match(err.message, /^Shard \d+ of \S+ \(units \[\d+, \d+\), \d+ bytes\) cannot get 1 hosts/);
        assert.equal(
          err.details,
          `replication 1 needs ${MODEL_BYTES} bytes in all; the 2 capped hosts hold ${2 * cap40} bytes: ${MODEL_BYTES - 2 * cap40} bytes missing`,
        );
        return true;
      },
    );
  });

  it('keeps every host within its cap for any caps, or throws ModelTooLargeError', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.option(fc.integer({ min: 0, max: MODEL_BYTES }), { nil: undefined }), {
          minLength: 8,
          maxLength: 8,
        }),
        (n, r, s, caps) => {
          const hosts = capped(Math.max(n, r), (i) => caps[i]);
          try {
            assertWithinCaps(planShards(params(hosts, r, s)), hosts, r);
          } catch (err) {
            assert.equal((err as Error).name, 'ModelTooLargeError', String(err));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is deterministic: the same hosts in any order give the same plan', () => {
    const hosts = capped(6, (i) => (i === 5 ? undefined : cap40));
    const plan = planShards(params(hosts, 2, 2));
    const again = planShards(params([...hosts].reverse(), 2, 2));
    assert.deepEqual(
      again.shards.map((s) => [s.hosts, s.standbys]),
      plan.shards.map((s) => [s.hosts, s.standbys]),
    );
  });

  it('gives the plain rendezvous plan when no cap binds', () => {
    const plain = planShards(
      params(
        capped(5, () => undefined),
        2,
        2,
        false,
      ),
    );
    const roomy = planShards(
      params(
        capped(5, () => 3 * MODEL_BYTES),
        2,
        2,
      ),
    );
    assert.deepEqual(
      roomy.shards.map((s) => [s.hosts, s.standbys]),
      plain.shards.map((s) => [s.hosts, s.standbys]),
    );
  });

  it('refuses caps without shardBytes and a cap that is not a byte count', () => {
    const bad = (p: PlanShardsParameters) =>
      assert.throws(() => planShards(p), { name: 'ShardPlanInvalidError' });
    bad(
      params(
        capped(3, () => cap40),
        1,
        1,
        false,
      ),
    );
    bad(
      params(
        capped(3, () => -1),
        1,
      ),
    );
    bad(
      params(
        capped(3, () => 1.5),
        1,
      ),
    );
    bad({
      ...params(
        capped(3, () => cap40),
        1,
      ),
      shardBytes: () => -4,
    });
  });
});
