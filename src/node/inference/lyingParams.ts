import type { ExchangeShardWeights } from '../../inference/index.ts';
import type { GptParams } from '../../model/index.ts';

/**
 * Tests only (`--lie`): a copy of the parameters with every fifth weight
 * nudged, so every partial product this node's host answers has wrong bits
 * and loses the vote (and, signed, proves the host wrong).
 */
export function lyingParams(params: GptParams): GptParams {
  const lie = params.clone();
  nudged(lie.flat);
  return lie;
}

/** Nudges every fifth value of `values` in place and returns it. */
function nudged(values: Float32Array): Float32Array {
  for (let i = 0; i < values.length; i += 5) values[i] = Math.fround(values[i]! * 1.001 + 1e-4);
  return values;
}

/** Tests only (`--lie`): a copy of a hosted shard with every fifth weight nudged (see `lyingParams`). */
export function lyingShard(shard: ExchangeShardWeights): ExchangeShardWeights {
  const copy = (a: Float32Array) => nudged(a.slice());
  if (shard.kind === 'attn')
    return { ...shard, qkv: copy(shard.qkv), qkvBias: copy(shard.qkvBias), proj: copy(shard.proj) };
  if (shard.kind === 'mlp')
    return { ...shard, fc: copy(shard.fc), fcBias: copy(shard.fcBias), proj: copy(shard.proj) };
  return { ...shard, weight: copy(shard.weight) };
}
