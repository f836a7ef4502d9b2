import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Address, getAddress, keccak256, toHex } from 'viem';
import { exchangeShardBytes, gptExchanges, shardRanges } from '../../inference/index.ts';
import { makeGptConfig } from '../../model/index.ts';
import { hostedShardsKey, isPlannedHost, planVersion, servingHosts } from './planVersion.ts';
import { nodeSetKey } from './registryState.ts';
import { hostContext, parseHostContext } from './versionCheckpoint.ts';

const config = makeGptConfig({ vocabSize: 20, contextLength: 8, dModel: 8, nHeads: 2, nLayers: 1 });
const digest = keccak256(toHex('version'));
const account = (i: number): Address => getAddress(`0x${(i + 1).toString(16).padStart(40, '0')}`);
const nodes = (n: number, modelMemory = 0n) =>
  Array.from({ length: n }, (_, i) => ({ account: account(i), stake: 100n, modelMemory }));

describe('planVersion', () => {
  it('plans every exchange of the model with the asked replicas, standbys and shards', () => {
    const { plan, replicas } = planVersion(digest, config, nodes(5), {
      replicas: 2,
      standbys: 1,
      shardsPerMatrix: 3,
    });
    assert.equal(replicas, 2);
    const cut = gptExchanges(config).map((m) => shardRanges(m.rows, { shardsPerMatrix: 3 }).length);
    assert.equal(
      plan.shards.length,
      cut.reduce((a, b) => a + b, 0),
    );
    assert.ok(cut[0]! < 3, 'an attention exchange is cut into at most one shard per head');
    for (const s of plan.shards) {
      assert.equal(s.hosts.length, 2);
      assert.equal(s.standbys.length, 1);
    }
  });

  it('gives each shard as many hosts as there are staked nodes when fewer than replicas', () => {
    const few = [...nodes(2), { account: account(9), stake: 0n, modelMemory: 0n }];
    const { plan, replicas } = planVersion(digest, config, few, {
      replicas: 3,
      standbys: 1,
      shardsPerMatrix: 2,
    });
    assert.equal(replicas, 2);
    assert.deepEqual(new Set(servingHosts(plan)), new Set([account(0), account(1)]));
    assert.ok(!isPlannedHost(plan, account(9)), 'a node without stake hosts nothing');
  });

  it('keys a host by the shards it holds: unchanged when a stake change moves none of them', () => {
    const sharding = { replicas: 2, standbys: 1, shardsPerMatrix: 2 };
    const before = planVersion(digest, config, nodes(3), sharding).plan;
    // With three nodes, two replicas and one standby, every node holds every shard whatever the stakes.
    const slashed = [{ ...nodes(3)[0]!, stake: 90n }, ...nodes(3).slice(1)];
    const after = planVersion(digest, config, slashed, sharding).plan;
    for (let i = 0; i < 3; i++)
      assert.equal(hostedShardsKey(after, account(i)), hostedShardsKey(before, account(i)));
    assert.notEqual(hostedShardsKey(before, account(0)), '');
    assert.equal(hostedShardsKey(before, account(9)), '');
    // Five nodes: each holds a subset, so some node's key differs from another's, and a new node changes keys.
    const five = planVersion(digest, config, nodes(5), { ...sharding, standbys: 0 }).plan;
    const keys = new Set(nodes(5).map((n) => hostedShardsKey(five, n.account)));
    assert.ok(keys.size > 1);
    const six = planVersion(digest, config, nodes(6), { ...sharding, standbys: 0 }).plan;
    assert.ok(nodes(5).some((n) => hostedShardsKey(six, n.account) !== hostedShardsKey(five, n.account)));
  });

  it('plans within the memory caps the nodes announced (0n = unlimited) and says when they cannot hold the model', () => {
    const sharding = { replicas: 1, standbys: 1, shardsPerMatrix: 2 };
    const { plan } = planVersion(digest, config, nodes(3), sharding);
    const bytesOf = (s: (typeof plan.shards)[number]) =>
      exchangeShardBytes(config, s.matrix, [s.rowStart, s.rowEnd]);
    const total = plan.shards.reduce((sum, s) => sum + bytesOf(s), 0);
    const cap = BigInt(Math.ceil(total / 2));
    const capped = planVersion(
      digest,
      config,
      [...nodes(2, cap), { ...nodes(3)[2]!, modelMemory: 0n }],
      sharding,
    ).plan;
    for (const i of [0, 1]) {
      const held = capped.shards
        .filter((s) => s.hosts.includes(account(i)) || s.standbys.includes(account(i)))
        .reduce((sum, s) => sum + bytesOf(s), 0);
      assert.ok(held <= Number(cap), `node ${i} holds ${held} > ${cap}`);
    }
    assert.throws(() => planVersion(digest, config, nodes(1, cap), sharding), { name: 'ModelTooLargeError' });
  });

  it('refuses to plan without a staked node (ModelPlanEmptyError)', () => {
    assert.throws(() => planVersion(digest, config, [], { replicas: 1, standbys: 0, shardsPerMatrix: 1 }), {
      name: 'ModelPlanEmptyError',
    });
  });

  it('names as planned hosts exactly the hosts and standbys of some shard', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 2 }), (n, standbys) => {
        const { plan } = planVersion(digest, config, nodes(n), { replicas: 1, standbys, shardsPerMatrix: 2 });
        const named = new Set(plan.shards.flatMap((s) => [...s.hosts, ...s.standbys]));
        for (const node of nodes(n + 1))
          assert.equal(isPlannedHost(plan, node.account), named.has(node.account));
      }),
      { numRuns: 30 },
    );
  });
});

describe('host blob request context', () => {
  it('round-trips <modelId>:<versionIndex> and refuses anything else', () => {
    assert.deepEqual(parseHostContext(hostContext(3n, 0n)), { modelId: 3n, versionIndex: 0n });
    assert.deepEqual(parseHostContext('12:7'), { modelId: 12n, versionIndex: 7n });
    for (const bad of ['0:1', '1', '1:', ':1', '01:1', '1:01', '1:2:3', '-1:0', ' 1:0', '1:0 ', 'a:b']) {
      assert.equal(parseHostContext(bad), undefined, bad);
    }
  });
});

describe('nodeSetKey', () => {
  it('changes when a node joins, leaves, changes stake or memory cap, not otherwise', () => {
    const base = nodes(3);
    assert.equal(nodeSetKey(base), nodeSetKey(nodes(3)));
    assert.notEqual(nodeSetKey(base), nodeSetKey(nodes(2)));
    assert.notEqual(nodeSetKey(base), nodeSetKey(nodes(4)));
    assert.notEqual(nodeSetKey(base), nodeSetKey([{ ...base[0]!, stake: 101n }, ...base.slice(1)]));
    assert.notEqual(nodeSetKey(base), nodeSetKey([{ ...base[0]!, modelMemory: 1n }, ...base.slice(1)]));
  });
});
