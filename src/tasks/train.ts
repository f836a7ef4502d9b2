import { Rng } from '../model/rng.ts';
import { lrAt, makeBatch, sampleBatch, Trainer } from '../model/train.ts';
import { type Checkpoint, writeCheckpoint } from './checkpoint.ts';
import { defineTaskKind, type TaskKind, throwIfTaskAborted } from './kind.ts';
import { readTrainingInputs } from './trainingInputs.ts';
import { parseTrainSpec, type TrainSpec } from './trainSpec.ts';

export type { TrainSpec } from './trainSpec.ts';

/**
 * The `train` task kind: a base checkpoint, a token shard, a step count and
 * a seed give the updated checkpoint, bit for bit the same on every node.
 * When the base checkpoint carries AdamW state, training continues from it
 * and the result carries the updated state; otherwise AdamW starts fresh and
 * the result has none. The checkpoint's metadata (tokenizer, ...) passes through.
 * Throws NonFiniteLossError if training diverges.
 */
export const trainKind: TaskKind<TrainSpec> = defineTaskKind<TrainSpec>({
  name: 'train',
  parseSpec: parseTrainSpec,
  inputs(spec) {
    return [spec.model, spec.shard];
  },
  async run(spec, ctx) {
    const { checkpoint, data } = await readTrainingInputs(spec, ctx);
    try {
      return await train(spec, checkpoint, data, ctx.signal);
    } finally {
      checkpoint.params.dispose();
    }
  },
});

/** Runs the spec's steps on the checkpoint's params (in kernel memory: faster, same bits) and writes the result. */
async function train(spec: TrainSpec, checkpoint: Checkpoint, data: Int32Array, signal: AbortSignal) {
  const trainer = new Trainer(
    checkpoint.params,
    { lr: spec.lr, weightDecay: spec.weightDecay, maxGradNorm: spec.maxGradNorm },
    'kernel',
  );
  try {
    if (checkpoint.optimizer) trainer.optimizer.restore(checkpoint.optimizer);
    const schedule = {
      lr: spec.lr,
      minLr: spec.minLr,
      warmupSteps: spec.warmupSteps,
      totalSteps: spec.totalSteps,
    };
    const rng = new Rng(spec.seed);
    const batch = makeBatch(spec.batchSize, spec.seqLen);
    for (let s = 0; s < spec.steps; s++) {
      throwIfTaskAborted(signal);
      trainer.step(sampleBatch(data, rng, batch), lrAt(schedule, spec.startStep + s));
      if (s % 8 === 7) await yieldToEventLoop();
    }
    const { params, metadata } = checkpoint;
    if (!checkpoint.optimizer) return writeCheckpoint({ params, metadata });
    return writeCheckpoint({ params, metadata, optimizer: trainer.optimizer.state });
  } finally {
    trainer.dispose();
  }
}

/** Lets timers and abort signals run between training steps. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
