import { NETWORK_MODEL_RECIPE } from '../../data/recipe.ts';
import type { GptConfig } from '../../model/index.ts';
import type { TrainingRecipe } from './round.ts';

/** The learning rate `concord train` steps with unless told otherwise. */
export const DEFAULT_TRAIN_LR = 3e-4;
/** Windows per `gradient` task and tokens per window (at most the model's context). */
export const DEFAULT_TRAIN_BATCH = 4;
export const DEFAULT_TRAIN_SEQ_LEN = 64;

/**
 * The recipe `concord train` runs on a model of `config`: each round one
 * `gradient` task per shard on a batch of windows, and one AdamW step at a
 * constant learning rate `lr` along their mean; round r (on version r)
 * seeds its tasks with r, so every round draws other windows.
 */
export function trainingRecipe(config: GptConfig, lr = DEFAULT_TRAIN_LR): TrainingRecipe {
  return {
    recipe: {
      ...NETWORK_MODEL_RECIPE,
      taskBatch: DEFAULT_TRAIN_BATCH,
      seqLen: Math.min(DEFAULT_TRAIN_SEQ_LEN, config.contextLength),
      lr,
      minLr: lr,
      warmupSteps: 0,
    },
    roundIndex: (base) => Number(base),
  };
}
