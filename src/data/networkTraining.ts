import type { Hex } from 'viem';
import { GptParams } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import { lrAt, makeBatch, sampleBatch, type Trainer } from '../model/train.ts';
import { type AggregateSpec, aggregateKind } from '../tasks/aggregate.ts';
import { writeCheckpoint } from '../tasks/checkpoint.ts';
import { MemoryBlobs } from '../tasks/testing.ts';
import { charTokenizerMetadata } from '../tasks/tokenizerMetadata.ts';
import { type TrainSpec, trainKind } from '../tasks/train.ts';
import { KERNEL_VERSION } from '../tensor/version.ts';
import type { CharCorpus } from './corpus.ts';
import { type NetworkModelRecipe, recipeConfig, roundServerLr } from './recipe.ts';
import type { ShardBlob } from './shards.ts';

/**
 * The two ways the network's model is trained: through the task kinds (one
 * federated round = K `train` tasks + one FedAvg `aggregate` task, each run
 * by one participant with a local blob map as `getBlob`), and centrally
 * (the baseline, same tokens per round, one persistent optimizer).
 */

/**
 * The initial checkpoint of a recipe: seeded GPT-2 init, the corpus tokenizer
 * in metadata, and zero AdamW moments at step 0 if the recipe carries them.
 */
export function initialCheckpoint(recipe: NetworkModelRecipe, corpus: CharCorpus): Uint8Array {
  const params = GptParams.init(recipeConfig(recipe, corpus.tokenizer.vocabSize), recipe.initSeed);
  const metadata = charTokenizerMetadata(corpus.tokenizer);
  if (!recipe.carryOptimizer) return writeCheckpoint({ params, metadata });
  const n = params.flat.length;
  return writeCheckpoint({
    params,
    metadata,
    optimizer: { m: new Float32Array(n), v: new Float32Array(n), step: 0 },
  });
}

/** Seed of the batch sampler of train task `shard` in `round`. */
export function trainSeed(recipe: NetworkModelRecipe, round: number, shard: number): number {
  return round * recipe.shards + shard + 1;
}

/** The spec of train task `shard` of `round` (0-based), starting from checkpoint `model`. */
export function roundTrainSpec(
  recipe: NetworkModelRecipe,
  model: Hex,
  shard: ShardBlob,
  round: number,
  shardIndex: number,
): TrainSpec {
  return {
    kind: 'train',
    kernel: KERNEL_VERSION,
    model,
    shard: shard.digest,
    steps: recipe.localSteps,
    batchSize: recipe.taskBatch,
    seqLen: recipe.seqLen,
    seed: trainSeed(recipe, round, shardIndex),
    lr: recipe.lr,
    minLr: recipe.minLr,
    warmupSteps: recipe.warmupSteps,
    totalSteps: recipe.rounds * recipe.localSteps,
    startStep: round * recipe.localSteps,
    weightDecay: recipe.weightDecay,
    maxGradNorm: recipe.maxGradNorm,
  };
}

/**
 * One federated round through the task kinds: every shard's `train` task from
 * `base`, then FedAvg (weights = shard token counts) of the results in task
 * order, stepped from `base` by the round's server learning rate. Returns
 * the next version's checkpoint bytes.
 */
export async function federatedRound(
  recipe: NetworkModelRecipe,
  base: Uint8Array,
  shards: readonly ShardBlob[],
  round: number,
  signal: AbortSignal = new AbortController().signal,
): Promise<Uint8Array> {
  const blobs = new MemoryBlobs();
  const model = blobs.put(base);
  for (const shard of shards) blobs.put(shard.bytes);
  const ctx = blobs.context(signal);
  const results: Hex[] = [];
  for (const [i, shard] of shards.entries()) {
    const spec = trainKind.parseSpec(roundTrainSpec(recipe, model, shard, round, i));
    results.push(blobs.put(await trainKind.run(spec, ctx)));
  }
  const serverLr = roundServerLr(recipe, round);
  const aggregate: AggregateSpec = {
    kind: 'aggregate',
    kernel: KERNEL_VERSION,
    rule: 'fedavg',
    inputs: results,
    weights: shards.map((s) => s.tokens),
    ...(serverLr === 1 ? {} : { base: model, serverLr }),
  };
  return aggregateKind.run(aggregateKind.parseSpec(aggregate), ctx);
}

/**
 * The central baseline's share of one round: S steps of K·b windows drawn
 * from the whole training split with `Rng(initSeed, round + 1)`, on the
 * same global schedule as the federated run.
 */
export function centralRound(
  recipe: NetworkModelRecipe,
  trainer: Trainer,
  ids: Int32Array,
  round: number,
): number {
  const batch = makeBatch(recipe.shards * recipe.taskBatch, recipe.seqLen);
  const rng = new Rng(recipe.initSeed, round + 1);
  const schedule = {
    lr: recipe.lr,
    minLr: recipe.minLr,
    warmupSteps: recipe.warmupSteps,
    totalSteps: recipe.rounds * recipe.localSteps,
  };
  let loss = 0;
  for (let s = 0; s < recipe.localSteps; s++) {
    loss += trainer.step(sampleBatch(ids, rng, batch), lrAt(schedule, round * recipe.localSteps + s)).loss;
  }
  return loss / recipe.localSteps;
}
