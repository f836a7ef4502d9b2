import type { Hex } from 'viem';
import { digestBytes } from '../core/digest.ts';
import { InvalidTrainingSetupError } from '../model/errors.ts';
import { GptParams } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import { type LrSchedule, lrAt, makeBatch, sampleBatch, type Trainer } from '../model/train.ts';
import type { AggregateSpec } from '../tasks/aggregateSpec.ts';
import { writeCheckpoint } from '../tasks/checkpoint.ts';
import type { GradientSpec } from '../tasks/gradient.ts';
import type { ShardBlob } from '../tasks/shardBlob.ts';
import { inThreadRunner, type TaskRunner } from '../tasks/taskRunner.ts';
import { charTokenizerMetadata } from '../tasks/tokenizerMetadata.ts';
import type { TrainSpec } from '../tasks/trainSpec.ts';
import { KERNEL_VERSION } from '../tensor/version.ts';
import type { CharCorpus } from './corpus.ts';
import { type NetworkModelRecipe, recipeConfig, roundServerLr } from './recipe.ts';

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
    ...recipeSchedule(recipe),
    startStep: round * recipe.localSteps,
    weightDecay: recipe.weightDecay,
    maxGradNorm: recipe.maxGradNorm,
  };
}

/** The spec of gradient task `shard` of `round` (0-based), on checkpoint `model`. */
export function roundGradientSpec(
  recipe: NetworkModelRecipe,
  model: Hex,
  shard: ShardBlob,
  round: number,
  shardIndex: number,
): GradientSpec {
  return {
    kind: 'gradient',
    kernel: KERNEL_VERSION,
    model,
    shard: shard.digest,
    batchSize: recipe.taskBatch,
    seqLen: recipe.seqLen,
    seed: trainSeed(recipe, round, shardIndex),
  };
}

/** The global learning-rate schedule of a recipe, over its R·S steps. */
export function recipeSchedule(recipe: NetworkModelRecipe): LrSchedule {
  return {
    lr: recipe.lr,
    minLr: recipe.minLr,
    warmupSteps: recipe.warmupSteps,
    totalSteps: recipe.rounds * recipe.localSteps,
  };
}

/**
 * The aggregate spec of `round` over its task results: with exchange
 * `weights`, FedAvg weighted by shard token counts (stepped from the base
 * by the round's server learning rate when it is not 1); with `gradients`,
 * the plain mean gradient and one AdamW step from the base at the round's
 * scheduled learning rate.
 */
export function roundAggregateSpec(
  recipe: NetworkModelRecipe,
  base: Hex,
  results: Hex[],
  shards: readonly ShardBlob[],
  round: number,
): AggregateSpec {
  const common = { kind: 'aggregate', kernel: KERNEL_VERSION, rule: 'fedavg', inputs: results } as const;
  if (recipe.exchange === 'gradients') {
    return {
      ...common,
      base,
      serverOptimizer: 'adamw',
      lr: lrAt(recipeSchedule(recipe), round),
      weightDecay: recipe.weightDecay,
      maxGradNorm: recipe.maxGradNorm,
    };
  }
  const serverLr = roundServerLr(recipe, round);
  return {
    ...common,
    weights: shards.map((s) => s.tokens),
    ...(serverLr === 1 ? {} : { base, serverLr }),
  };
}

/**
 * One federated round through the task kinds: every shard's `train` (or
 * `gradient`, as `recipe.exchange` says) task on `base`, then the round's
 * `aggregate` task over the results in task order. The tasks go to
 * `runner`: in this thread by default, or a thread pool to use every core
 * (same bytes). Returns the next version's checkpoint bytes.
 */
export async function federatedRound(
  recipe: NetworkModelRecipe,
  base: Uint8Array,
  shards: readonly ShardBlob[],
  round: number,
  runner: TaskRunner = inThreadRunner(),
): Promise<Uint8Array> {
  if (recipe.exchange === 'gradients' && recipe.localSteps !== 1) {
    throw new InvalidTrainingSetupError(
      `a gradient round is one optimizer step, but the recipe has ${recipe.localSteps} local steps`,
      'Use localSteps 1 with exchange gradients (and R·S rounds for the same tokens).',
    );
  }
  const model = digestBytes(base);
  const results = await Promise.all(
    shards.map((shard, i) => {
      const blobs = new Map([
        [model, base],
        [shard.digest, shard.bytes],
      ]);
      return recipe.exchange === 'gradients'
        ? runner('gradient', roundGradientSpec(recipe, model, shard, round, i), blobs)
        : runner('train', roundTrainSpec(recipe, model, shard, round, i), blobs);
    }),
  );
  const digests = results.map(digestBytes);
  const blobs = new Map(results.map((bytes, i) => [digests[i] as Hex, bytes]));
  blobs.set(model, base);
  const spec = roundAggregateSpec(recipe, model, digests, shards, round);
  return runner('aggregate', spec, blobs);
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
  const schedule = recipeSchedule(recipe);
  let loss = 0;
  for (let s = 0; s < recipe.localSteps; s++) {
    loss += trainer.step(sampleBatch(ids, rng, batch), lrAt(schedule, round * recipe.localSteps + s)).loss;
  }
  return loss / recipe.localSteps;
}
