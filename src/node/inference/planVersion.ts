import { type Address, getAddress, type Hex } from 'viem';
import type { ActiveNode } from '../../chain/actions/activeNodes.ts';
import {
  exchangeShardBytes,
  gptExchanges,
  type HostCandidate,
  planShards,
  type ShardPlan,
} from '../../inference/index.ts';
import type { GptConfig } from '../../model/index.ts';
import { ModelPlanEmptyError } from '../errors.ts';

/** How a node asks each model version to be sharded (the `--replicas`, `--standbys`, `--shards-per-matrix` flags). */
export type ShardingOptions = {
  /** Hosts that compute each shard. */
  replicas: number;
  /** Ranked standbys per shard. */
  standbys: number;
  shardsPerMatrix: number;
};

/** The defaults of `concord node start`. */
export const DEFAULT_SHARDING: ShardingOptions = { replicas: 1, standbys: 1, shardsPerMatrix: 4 };

/** A version's plan and the replicas it could give each shard. */
export type VersionPlan = { plan: ShardPlan; replicas: number };

/**
 * The shard plan of a model version that every node recomputes: the version's
 * checkpoint digest, the model's matrices, the active nodes weighted by stake
 * and capped by the model memory they announced (`exchangeShardBytes` per
 * shard), and the sharding options. With fewer staked nodes than `replicas`,
 * each shard gets as many hosts as there are (the returned `replicas` says how
 * many). Throws ModelPlanEmptyError when no node holds stake, and the
 * planner's ModelTooLargeError when the caps cannot hold the model.
 */
export function planVersion(
  digest: Hex,
  config: GptConfig,
  nodes: readonly ActiveNode[],
  sharding: ShardingOptions,
): VersionPlan {
  const hosts = nodes.filter((n) => n.stake > 0n).map(hostCandidate);
  if (hosts.length === 0) {
    throw new ModelPlanEmptyError(`No active node holds stake, so model ${digest} has no hosts.`, {
      hint: 'Register and stake at least one node (`concord node start`).',
    });
  }
  const replicas = Math.min(sharding.replicas, hosts.length);
  const plan = planShards({
    modelDigest: digest,
    matrices: gptExchanges(config),
    hosts,
    replicas,
    standbys: sharding.standbys,
    sharding: { shardsPerMatrix: sharding.shardsPerMatrix },
    shardBytes: (spec, units) => exchangeShardBytes(config, spec, units),
  });
  return { plan, replicas };
}

/** A node as the planner sees it: a cap of 0n (or one past 2^53, more than any machine holds) is no cap. */
function hostCandidate(node: ActiveNode): HostCandidate {
  const { account: address, stake, modelMemory } = node;
  return modelMemory === 0n || modelMemory > BigInt(Number.MAX_SAFE_INTEGER)
    ? { address, stake }
    : { address, stake, memory: Number(modelMemory) };
}

/** Whether `account` serves or stands by for any shard of the plan. */
export function isPlannedHost(plan: ShardPlan, account: Address): boolean {
  const a = getAddress(account);
  return plan.shards.some((s) => s.hosts.includes(a) || s.standbys.includes(a));
}

/**
 * The shards `account` serves or stands by for under `plan`, as one string:
 * two plans give the same key exactly when the account holds the same shard
 * weights under both (its host can keep running, with its sessions' caches).
 */
export function hostedShardsKey(plan: ShardPlan, account: Address): string {
  const a = getAddress(account);
  return plan.shards
    .filter((s) => s.hosts.includes(a) || s.standbys.includes(a))
    .map((s) => `${s.matrix.name}/${s.shard}:${s.rowStart}-${s.rowEnd}`)
    .join(',');
}

/** The hosts that serve at least one shard, in the order they first appear. */
export function servingHosts(plan: ShardPlan): Address[] {
  return [...new Set(plan.shards.flatMap((s) => s.hosts))];
}
