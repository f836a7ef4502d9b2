import { NonFiniteLossError } from '../model/errors.ts';
import { Gpt } from '../model/gpt.ts';
import { GptParams } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import { makeBatch, sampleBatch } from '../model/train.ts';
import { GRADIENT_METADATA_KEY, writeCheckpoint } from './checkpoint.ts';
import { defineTaskKind, type TaskKind } from './kind.ts';
import { specObject } from './specFields.ts';
import {
  BATCH_SOURCE_FIELDS,
  type BatchSource,
  parseBatchSource,
  readTrainingInputs,
} from './trainingInputs.ts';

/**
 * Spec of a `gradient` task: the gradient of the base checkpoint's mean
 * next-token loss over `batchSize` random windows of `seqLen` tokens drawn
 * from the shard with `Rng(seed)` (the same sampler as `train`).
 */
export type GradientSpec = BatchSource & { kind: 'gradient' };

const KIND = 'gradient';

/** Validates a parsed JSON `gradient` spec; throws TaskSpecError naming the bad field. */
export function parseGradientSpec(json: unknown): GradientSpec {
  return { kind: KIND, ...parseBatchSource(specObject(json, KIND, BATCH_SOURCE_FIELDS)) };
}

/**
 * The `gradient` task kind: one batch's loss gradient, bit for bit the same on
 * every node, written as a checkpoint whose tensors are the gradient (same
 * names and shapes as the parameters) and whose metadata is the base's plus
 * `GRADIENT_METADATA_KEY`. The `aggregate` task's `serverOptimizer` mode
 * combines a round's gradients and takes the optimizer step: with the
 * rule FedAvg that is data-parallel training with the network as the batch.
 * Throws NonFiniteLossError if the loss is not finite.
 */
export const gradientKind: TaskKind<GradientSpec> = defineTaskKind<GradientSpec>({
  name: KIND,
  parseSpec: parseGradientSpec,
  inputs(spec) {
    return [spec.model, spec.shard];
  },
  async run(spec, ctx) {
    const { checkpoint, data } = await readTrainingInputs(spec, ctx);
    const { params, metadata } = checkpoint;
    const model = new Gpt(params, { placement: 'kernel' });
    const grads = GptParams.zeros(params.config, 'kernel');
    try {
      const batch = sampleBatch(data, new Rng(spec.seed), makeBatch(spec.batchSize, spec.seqLen));
      const loss = model.loss(batch.tokens, batch.targets, batch.batchSize);
      if (!Number.isFinite(loss)) throw new NonFiniteLossError('loss', loss);
      model.backward(grads);
      return writeCheckpoint({
        params: grads,
        metadata: { ...metadata, [GRADIENT_METADATA_KEY]: 'mean-loss' },
      });
    } finally {
      model.dispose();
      grads.dispose();
      params.dispose();
    }
  },
});
