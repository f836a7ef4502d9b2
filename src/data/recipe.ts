import { type GptConfig, makeGptConfig } from '../model/config.ts';
import { type CharCorpus, encodeChars } from './corpus.ts';
import { interleavedSpeechShards, splitIntoShards } from './shards.ts';

/**
 * How the network's own character model is trained (scripts/train-network-model.ts):
 * R rounds of K tasks (one per data shard) and one `aggregate` task. With
 * exchange `gradients` (the shipped model) each task is a `gradient` task on
 * b windows and the aggregate takes one AdamW step along their mean (S = 1);
 * with `weights` each is a `train` task of S local AdamW steps of b windows
 * (moments carried in the checkpoints) and the aggregate is FedAvg. The
 * central baseline takes R·S steps of K·b windows: the same number of trained
 * tokens (same compute) in one sequence, with one persistent AdamW. Both
 * follow the same learning-rate schedule over R·S steps.
 */
export type NetworkModelRecipe = {
  /** Transformer shape; vocabSize comes from the corpus. */
  readonly dModel: number;
  readonly nHeads: number;
  readonly nLayers: number;
  readonly contextLength: number;
  /** K: data shards, one `train` task each per round. */
  readonly shards: number;
  /** R: rounds. */
  readonly rounds: number;
  /** S: AdamW steps per `train` task. */
  readonly localSteps: number;
  /** b: windows per step of one `train` task (the central run uses K·b). */
  readonly taskBatch: number;
  readonly seqLen: number;
  readonly lr: number;
  readonly minLr: number;
  readonly warmupSteps: number;
  readonly weightDecay: number;
  readonly maxGradNorm: number;
  /** Seed of the initial parameters. */
  readonly initSeed: number;
  /** Held-out windows scored after every round (0 = all). */
  readonly evalWindows: number;
  /**
   * Carry AdamW's moments in the checkpoints (FedAvg-aggregated like the
   * weights) instead of starting AdamW fresh in every train task.
   */
  readonly carryOptimizer: boolean;
  /**
   * How the training split becomes the K shards: `era` = K contiguous pieces
   * (each an era of speeches, not identically distributed); `interleaved` =
   * speeches dealt to the shards in turn (each spans every era).
   */
  readonly shardLayout: 'era' | 'interleaved';
  /** Score the held-out windows after every this many rounds (and after the last). */
  readonly evalEvery: number;
  /**
   * Server learning rate of the `aggregate` task from round
   * `serverLrStartRound` on: the next version is `base + serverLr · (FedAvg −
   * base)`; earlier rounds use plain FedAvg (1). The shipped recipe uses 1:
   * on this model values above 1 fell off the curve wherever they started,
   * and 0.5 from round 600 on helped mid-run but ended level with 1
   * (docs/network-model.md).
   */
  readonly serverLr: number;
  /** First round (0-based) whose aggregate uses `serverLr`. */
  readonly serverLrStartRound: number;
  /**
   * What a round's tasks hand to the aggregate: `weights` = `train` tasks
   * take S local AdamW steps and the aggregate averages the models; `gradients`
   * = `gradient` tasks each return one batch's loss gradient and the aggregate
   * takes one AdamW step along their mean (S must be 1: one round per step).
   */
  readonly exchange: 'weights' | 'gradients';
};

/**
 * The recipe of the shipped model (models/README.md): 0.82 M parameters
 * trained on 20.5 M tokens, about 2.1 passes over the training split, in
 * 5 000 rounds of 2 `gradient` tasks of 16 windows and one AdamW `aggregate`
 * step: the update rule of the central baseline's 5 000 steps of 32 windows
 * (docs/network-model.md). About 85 minutes with `--threads 2` on two cores.
 */
export const NETWORK_MODEL_RECIPE: NetworkModelRecipe = {
  dModel: 128,
  nHeads: 4,
  nLayers: 4,
  contextLength: 128,
  shards: 2,
  rounds: 5000,
  localSteps: 1,
  taskBatch: 16,
  seqLen: 128,
  lr: 3e-3,
  minLr: 3e-4,
  warmupSteps: 100,
  weightDecay: 0.1,
  maxGradNorm: 1,
  initSeed: 1,
  evalWindows: 128,
  carryOptimizer: true,
  shardLayout: 'interleaved',
  evalEvery: 100,
  serverLr: 1,
  serverLrStartRound: 0,
  exchange: 'gradients',
};

/**
 * The FedAvg recipe of the previous shipped model (concord-char-v2, 1.513
 * bpc): 1000 rounds of 4 `train` tasks of 5 local steps of 8 windows, model
 * averaging; the same tokens, schedule and central baseline as the shipped
 * recipe (docs/network-model.md compares the two).
 */
export const FEDAVG_RECIPE: NetworkModelRecipe = {
  ...NETWORK_MODEL_RECIPE,
  shards: 4,
  rounds: 1000,
  localSteps: 5,
  taskBatch: 8,
  evalEvery: 20,
  exchange: 'weights',
};

/** The K shards of a recipe's training data, laid out as `recipe.shardLayout` says. */
export function recipeShards(recipe: NetworkModelRecipe, corpus: CharCorpus): Int32Array[] {
  return recipe.shardLayout === 'era'
    ? splitIntoShards(corpus.trainIds, recipe.shards, recipe.seqLen + 1)
    : interleavedSpeechShards(corpus.split.train, recipe.shards, (text) =>
        encodeChars(corpus.tokenizer, text),
      );
}

/** The model config of a recipe for a vocabulary of `vocabSize` ids. */
export function recipeConfig(recipe: NetworkModelRecipe, vocabSize: number): GptConfig {
  return makeGptConfig({
    vocabSize,
    contextLength: recipe.contextLength,
    dModel: recipe.dModel,
    nHeads: recipe.nHeads,
    nLayers: recipe.nLayers,
  });
}

/** The server learning rate of round `round` (0-based): 1 before `serverLrStartRound`. */
export function roundServerLr(recipe: NetworkModelRecipe, round: number): number {
  return round >= recipe.serverLrStartRound ? recipe.serverLr : 1;
}
