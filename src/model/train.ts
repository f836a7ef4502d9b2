import { AdamW, type AdamWOptions, weightDecayMask } from './adamw.ts';
import { InvalidTrainingSetupError, NonFiniteLossError } from './errors.ts';
import { Gpt } from './gpt.ts';
import type { Placement } from './memory.ts';
import { GptParams } from './params.ts';
import type { Rng } from './rng.ts';

/** B windows of T tokens and their next-token targets, laid end to end. */
export type TrainBatch = {
  readonly batchSize: number;
  readonly seqLen: number;
  readonly tokens: Int32Array; // (B*T)
  readonly targets: Int32Array; // (B*T)
};

/** An empty batch buffer for `sampleBatch` to fill. */
export function makeBatch(batchSize: number, seqLen: number): TrainBatch {
  return {
    batchSize,
    seqLen,
    tokens: new Int32Array(batchSize * seqLen),
    targets: new Int32Array(batchSize * seqLen),
  };
}

/**
 * Fills `batch` with B random windows of `data` (start drawn uniformly by
 * `rng`), targets shifted by one token. Same RNG state and data ⇒ same batch.
 */
export function sampleBatch(data: ArrayLike<number>, rng: Rng, batch: TrainBatch): TrainBatch {
  const { batchSize: B, seqLen: T } = batch;
  if (data.length < T + 1) {
    throw new InvalidTrainingSetupError(
      `${data.length} tokens of data cannot fill a window of ${T} tokens plus one target`,
      'Use more data or a shorter sequence length.',
    );
  }
  for (let b = 0; b < B; b++) {
    const start = rng.below(data.length - T);
    for (let t = 0; t < T; t++) {
      batch.tokens[b * T + t] = data[start + t] as number;
      batch.targets[b * T + t] = data[start + t + 1] as number;
    }
  }
  return batch;
}

/** A learning-rate schedule without transcendental functions: linear warmup, then linear decay to minLr. */
export type LrSchedule = { lr: number; warmupSteps: number; totalSteps: number; minLr: number };

/** The learning rate at 0-based `step` of a schedule. */
export function lrAt(schedule: LrSchedule, step: number): number {
  const { lr, warmupSteps, totalSteps, minLr } = schedule;
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  if (step >= totalSteps) return minLr;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return lr + (minLr - lr) * progress;
}

/** What one training step measured. */
export type TrainStepResult = { loss: number; gradNorm: number; step: number };

/**
 * Loss, backward and AdamW over one model: the deterministic training step
 * of a `train` task. The same parameters, batches and options give the same
 * parameter bytes on every node.
 */
export class Trainer {
  readonly model: Gpt;
  readonly grads: GptParams;
  readonly optimizer: AdamW;

  /**
   * Trains `params` in place. Weight decay applies to matrices and embeddings
   * only. With placement 'kernel' (activations and gradients in kernel
   * memory, faster), call `dispose()` when done.
   */
  constructor(params: GptParams, options: AdamWOptions, placement: Placement = 'js') {
    this.model = new Gpt(params, { placement });
    this.grads = GptParams.zeros(params.config, placement);
    this.optimizer = new AdamW(params.flat.length, options, weightDecayMask(params.specs));
  }

  /** One step on a batch; `lr` overrides the optimizer's rate (for a schedule). Throws NonFiniteLossError on divergence. */
  step(batch: TrainBatch, lr?: number): TrainStepResult {
    const loss = this.model.loss(batch.tokens, batch.targets, batch.batchSize);
    if (!Number.isFinite(loss)) throw new NonFiniteLossError('loss', loss);
    this.model.backward(this.grads);
    const { gradNorm, step } = this.optimizer.step(this.model.params.flat, this.grads.flat, lr);
    return { loss, gradNorm, step };
  }

  /** Frees the workspace and gradients if they live in kernel memory (the params are the caller's). */
  dispose(): void {
    this.model.dispose();
    this.grads.dispose();
  }
}
