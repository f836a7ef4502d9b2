import { integerField, numberField, specObject } from './specFields.ts';
import { BATCH_SOURCE_FIELDS, type BatchSource, parseBatchSource } from './trainingInputs.ts';

/**
 * Spec of a `train` task: starting from the base checkpoint, take `steps`
 * AdamW steps on batches of `batchSize` random windows of `seqLen` tokens
 * drawn from the shard with `Rng(seed)`. The learning rate of local step s is
 * `lrAt({ lr, minLr, warmupSteps, totalSteps }, startStep + s)`, so the
 * rounds of one training run share a global schedule.
 */
export type TrainSpec = BatchSource & {
  kind: 'train';
  steps: number;
  /** Peak learning rate. */
  lr: number;
  /** Learning rate at and after `totalSteps`. */
  minLr: number;
  warmupSteps: number;
  totalSteps: number;
  /** Global index of this task's first step in the schedule. */
  startStep: number;
  /** Decoupled AdamW weight decay of matrices and embeddings. */
  weightDecay: number;
  /** Global gradient-norm clip; 0 turns clipping off. */
  maxGradNorm: number;
};

const KIND = 'train';
/** Upper bound that keeps one task's work sane. */
const MAX_STEPS = 1_000_000;

/** Validates a parsed JSON `train` spec; throws TaskSpecError naming the bad field. */
export function parseTrainSpec(json: unknown): TrainSpec {
  const obj = specObject(json, KIND, [
    ...BATCH_SOURCE_FIELDS,
    'steps',
    'lr',
    'minLr',
    'warmupSteps',
    'totalSteps',
    'startStep',
    'weightDecay',
    'maxGradNorm',
  ]);
  const lr = numberField(obj, 'lr', Number.MIN_VALUE, 1);
  return {
    kind: KIND,
    ...parseBatchSource(obj),
    steps: integerField(obj, 'steps', 1, MAX_STEPS),
    lr,
    minLr: numberField(obj, 'minLr', Number.MIN_VALUE, lr),
    warmupSteps: integerField(obj, 'warmupSteps', 0, Number.MAX_SAFE_INTEGER),
    totalSteps: integerField(obj, 'totalSteps', 1, Number.MAX_SAFE_INTEGER),
    startStep: integerField(obj, 'startStep', 0, Number.MAX_SAFE_INTEGER),
    weightDecay: numberField(obj, 'weightDecay', 0, 1),
    maxGradNorm: numberField(obj, 'maxGradNorm', 0, 1e9),
  };
}
