import { type Address, getAddress } from 'viem';
import type { GptParams } from '../model/index.ts';
import type { ShardPlan } from './planner.ts';
import { cutExchangeShard, type ExchangeShardWeights } from './shards/weights.ts';

/**
 * The exchange shards `host` serves or stands by for under `plan` (a standby
 * must hold its weights to take over mid-session), cut out of a model's
 * parameters held whole (local reference setups and benches; a node fetches
 * only its shards' pieces instead, see `shardFromPieces`).
 */
export function hostedShardsFromParams(
  params: GptParams,
  plan: ShardPlan,
  host: Address,
): ExchangeShardWeights[] {
  const self = getAddress(host);
  return plan.shards
    .filter((s) => s.hosts.includes(self) || s.standbys.includes(self))
    .map((s) => cutExchangeShard(params, s.matrix, s.shard, [s.rowStart, s.rowEnd]));
}
