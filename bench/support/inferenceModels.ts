import { readFileSync } from 'node:fs';
import type { Address, Hex } from 'viem';
import { digestBytes } from '../../src/core/digest.ts';
import { gptExchanges } from '../../src/inference/exchange.ts';
import type { InferenceHostStats } from '../../src/inference/host.ts';
import { planShards, type ShardPlan } from '../../src/inference/planner.ts';
import { type GptConfig, GptParams, type Placement } from '../../src/model/index.ts';
import { readCheckpoint } from '../../src/tasks/checkpoint.ts';

/**
 * Where a benchmark model comes from: a checkpoint file (the network's model),
 * or random weights from a seed (`GptParams.init`), so that every process
 * builds the same parameters without shipping them.
 */
export type BenchModelSource =
  | { readonly kind: 'checkpoint'; readonly path: string }
  | { readonly kind: 'random'; readonly config: GptConfig; readonly seed: number };

/** How the bench shards a model over its hosts. */
export type BenchPlanOptions = {
  readonly replicas: number;
  readonly standbys: number;
  readonly shardsPerMatrix: number;
};

/** What a host process reports: its inference host's counters (null before it serves) and its CPU time in ms. */
export type HostProcessStats = { server: InferenceHostStats | null; cpuMs: number };

/** Builds a benchmark model's parameters in the given memory (`'kernel'`: weights the WASM kernels read in place). */
export function loadBenchModel(source: BenchModelSource, placement: Placement): GptParams {
  if (source.kind === 'checkpoint') return readCheckpoint(readFileSync(source.path), placement).params;
  return GptParams.init(source.config, source.seed, placement);
}

/** The digest of a model's flat parameters, which names it in the shard plan. */
export function paramsDigest(params: GptParams): Hex {
  const flat = params.flat;
  return digestBytes(new Uint8Array(flat.buffer, flat.byteOffset, flat.byteLength));
}

/**
 * The shard plan every process of the benchmark computes alike (as every node
 * does): equal stakes, the model's exchanges, the model's digest.
 */
export function benchPlan(
  modelDigest: Hex,
  config: GptConfig,
  hosts: readonly Address[],
  options: BenchPlanOptions,
): ShardPlan {
  return planShards({
    modelDigest,
    matrices: gptExchanges(config),
    hosts: hosts.map((address) => ({ address, stake: 100n })),
    replicas: options.replicas,
    standbys: options.standbys,
    sharding: { shardsPerMatrix: options.shardsPerMatrix },
  });
}
