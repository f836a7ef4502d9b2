import type { Hex } from 'viem';
import { KERNEL_VERSION } from '../tensor/version.ts';
import { digestField, integerField, numberField, oneOfField, specObject } from './specFields.ts';

/**
 * Spec of a `train` task: starting from the base checkpoint, take `steps`
 * AdamW steps on batches of `batchSize` random windows of `seqLen` tokens
 * drawn from the shard with `Rng(seed)`. The learning rate of local step s is
 * `lrAt({ lr, minLr, warmupSteps, totalSteps }, startStep + s)`, so the
 * rounds of one training run share a global schedule.
 */
export type TrainSpec = {
  kind: 'train';
  /** Kernel version whose arithmetic the result follows. */
  kernel: typeof KERNEL_VERSION;
  /** Digest of the base checkpoint (safetensors written by exportGpt). */
  model: Hex;
  /** Digest of the token shard (core codec, i32 `[n]`). */
  shard: Hex;
  steps: number;
  batchSize: number;
  seqLen: number;
  /** Seed of the batch sampler, an integer in [0, 2^53). */
  seed: number;
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
const SUPPORTED_KERNELS = [KERNEL_VERSION] as const;
/** Upper bounds that keep one task's work and memory sane. */
const MAX_STEPS = 1_000_000;
const MAX_BATCH = 4096;
const MAX_SEQ_LEN = 1 << 16;

/** Validates a parsed JSON `train` spec; throws TaskSpecError naming the bad field. */
export function parseTrainSpec(json: unknown): TrainSpec {
  const obj = specObject(json, KIND, [
    'kernel',
    'model',
    'shard',
    'steps',
    'batchSize',
    'seqLen',
    'seed',
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
    kernel: oneOfField(obj, 'kernel', SUPPORTED_KERNELS),
    model: digestField(obj, 'model'),
    shard: digestField(obj, 'shard'),
    steps: integerField(obj, 'steps', 1, MAX_STEPS),
    batchSize: integerField(obj, 'batchSize', 1, MAX_BATCH),
    seqLen: integerField(obj, 'seqLen', 1, MAX_SEQ_LEN),
    seed: integerField(obj, 'seed', 0, Number.MAX_SAFE_INTEGER),
    lr,
    minLr: numberField(obj, 'minLr', Number.MIN_VALUE, lr),
    warmupSteps: integerField(obj, 'warmupSteps', 0, Number.MAX_SAFE_INTEGER),
    totalSteps: integerField(obj, 'totalSteps', 1, Number.MAX_SAFE_INTEGER),
    startStep: integerField(obj, 'startStep', 0, Number.MAX_SAFE_INTEGER),
    weightDecay: numberField(obj, 'weightDecay', 0, 1),
    maxGradNorm: numberField(obj, 'maxGradNorm', 0, 1e9),
  };
}
