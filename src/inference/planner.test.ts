import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Address, getAddress, keccak256, toHex } from 'viem';
import { makeGptConfig } from '../model/index.ts';
import { gptExchanges } from './exchange.ts';
import { type HostCandidate, planShards, replan, shardRanges, shardsOfHost } from './planner.ts';

const MODEL = keccak256(toHex('model v1'));
const addr = (i: number): Address => getAddress(`0x${(i + 1).toString(16).padStart(40, '0')}`);
const hostsOf = (n: number, stake = (i: number) => BigInt(1 + (i % 3))): HostCandidate[] =>
  Array.from({ length: n }, (_, i) => ({ address: addr(i), stake: stake(i) }));
const matrices = gptExchanges(
  makeGptConfig({ vocabSize: 50, contextLength: 16, dModel: 16, nHeads: 2, nLayers: 2 }),
);

describe('shardRanges', () => {
  it('covers every row exactly once, in order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        (rows, k, byRows) => {
          const ranges = shardRanges(rows, byRows ? { rowsPerShard: k } : { shardsPerMatrix: k });
          let next = 0;
          for (const [a, b] of ranges) {
            assert.equal(a, next);
            assert.ok(b > a);
            next = b;
          }
          assert.equal(next, rows);
          if (byRows) assert.ok(ranges.every(([a, b]) => b - a <= k));
          else assert.equal(ranges.length, Math.min(rows, k));
        },
      ),
    );
  });
});

describe('planShards', () => {
  it('gives each shard r distinct hosts and s distinct standbys, deterministically', () => {
    const params = {
      modelDigest: MODEL,
      matrices,
      hosts: hostsOf(7),
      replicas: 3,
      standbys: 2,
      sharding: { shardsPerMatrix: 4 },
    };
    const plan = planShards(params);
    // four shards per exchange, but never more than its units: an attention exchange of 2 heads has 2
    assert.equal(
      plan.shards.length,
      matrices.reduce((n, m) => n + Math.min(m.rows, 4), 0),
    );
    assert.deepEqual(
      plan.shards.filter((s) => s.matrix.name === 'h.0.attn').map((s) => [s.rowStart, s.rowEnd]),
      [
        [0, 1],
        [1, 2],
      ],
    );
    for (const s of plan.shards) {
      assert.equal(s.hosts.length, 3);
      assert.equal(s.standbys.length, 2);
      assert.equal(new Set([...s.hosts, ...s.standbys]).size, 5);
    }
    const again = planShards({ ...params, hosts: [...params.hosts].reverse() });
    assert.deepEqual(
      again.shards.map((s) => [s.hosts, s.standbys]),
      plan.shards.map((s) => [s.hosts, s.standbys]),
    );
  });

  it('never picks a host without stake and refuses too few staked hosts', () => {
    const hosts = hostsOf(4, (i) => (i === 0 ? 0n : 5n));
    const plan = planShards({
      modelDigest: MODEL,
      matrices,
      hosts,
      replicas: 3,
      standbys: 5,
      sharding: { rowsPerShard: 8 },
    });
    assert.equal(shardsOfHost(plan, addr(0)).length, 0);
    assert.ok(plan.shards.every((s) => !s.standbys.includes(addr(0))));
    assert.throws(
      () =>
        planShards({
          modelDigest: MODEL,
          matrices,
          hosts,
          replicas: 4,
          standbys: 0,
          sharding: { rowsPerShard: 8 },
        }),
      { name: 'ShardPlanInvalidError' },
    );
    assert.throws(
      () =>
        planShards({
          modelDigest: MODEL,
          matrices,
          hosts: [...hosts, hosts[1]!],
          replicas: 1,
          standbys: 0,
          sharding: { rowsPerShard: 8 },
        }),
      { name: 'ShardPlanInvalidError' },
    );
  });

  it('weights first place by stake (1 : 3 stake gives about 1 : 3 of the shards)', () => {
    const hosts = [
      { address: addr(0), stake: 1n },
      { address: addr(1), stake: 3n },
    ];
    const tall = [{ name: 'wte.weight', layer: -1, matrix: 'lm_head' as const, rows: 4000, cols: 8 }];
    const plan = planShards({
      modelDigest: MODEL,
      matrices: tall,
      hosts,
      replicas: 1,
      standbys: 0,
      sharding: { rowsPerShard: 1 },
    });
    const heavy = shardsOfHost(plan, addr(1)).length / plan.shards.length;
    assert.ok(heavy > 0.7 && heavy < 0.8, `heavy host got ${heavy}`);
  });
});

describe('replan', () => {
  const base = (hosts: HostCandidate[], replicas: number) =>
    planShards({
      modelDigest: MODEL,
      matrices,
      hosts,
      replicas,
      standbys: 1,
      sharding: { shardsPerMatrix: 3 },
    });

  it('moves only the shards of a host that left, each to exactly one new host', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.nat(), (n, r, pick) => {
        const hosts = hostsOf(n);
        const gone = hosts[pick % n]!.address;
        const plan = base(hosts, r);
        const { plan: next, moves } = replan(
          plan,
          hosts.filter((h) => h.address !== gone),
        );
        assert.equal(moves.length, shardsOfHost(plan, gone).length);
        for (const m of moves) {
          assert.deepEqual(m.removed, [gone]);
          assert.equal(m.added.length, 1);
        }
        plan.shards.forEach((s, i) => {
          if (!s.hosts.includes(gone)) assert.deepEqual(next.shards[i]!.hosts, s.hosts);
        });
      }),
      { numRuns: 30 },
    );
  });

  it('moves a shard to a joining host only, replacing one host', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 8 }), fc.integer({ min: 1, max: 3 }), (n, r) => {
        const hosts = hostsOf(n + 1);
        const newcomer = hosts[n]!.address;
        const plan = base(hosts.slice(0, n), r);
        const { plan: next, moves } = replan(plan, hosts);
        assert.equal(moves.length, shardsOfHost(next, newcomer).length);
        for (const m of moves) {
          assert.deepEqual(m.added, [newcomer]);
          assert.equal(m.removed.length, 1);
        }
      }),
      { numRuns: 30 },
    );
  });
});
