import { type GptConfig, makeGptConfig } from '../model/config.ts';

/**
 * How the network's own character model is trained (scripts/train-network-model.ts):
 * R rounds; in each, K `train` tasks (one per contiguous data shard, S local
 * AdamW steps of b windows each, AdamW fresh per task) and one FedAvg
 * `aggregate` task. The central baseline takes R·S steps of K·b windows: the
 * same number of trained tokens (same compute) in one sequence, with one
 * persistent AdamW. Both follow the same learning-rate schedule over R·S steps.
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
};

/** The recipe of models/concord-char-v1.safetensors (0.36 M parameters: sized to the 300–4 700 training tokens/s measured on 2 shared cores). */
export const NETWORK_MODEL_RECIPE: NetworkModelRecipe = {
  dModel: 96,
  nHeads: 4,
  nLayers: 3,
  contextLength: 128,
  shards: 4,
  rounds: 120,
  localSteps: 5,
  taskBatch: 4,
  seqLen: 128,
  lr: 3e-3,
  minLr: 3e-4,
  warmupSteps: 30,
  weightDecay: 0.1,
  maxGradNorm: 1,
  initSeed: 1,
  evalWindows: 128,
  carryOptimizer: true,
};

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
