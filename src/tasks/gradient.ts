import type { Hex } from 'viem';
import { NonFiniteLossError } from '../model/errors.ts';
import { Gpt } from '../model/gpt.ts';
import { GptParams } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import { makeBatch, sampleBatch } from '../model/train.ts';
import { KERNEL_VERSION } from '../tensor/version.ts';
import { GRADIENT_METADATA_KEY, readCheckpoint, readTrainingShard, writeCheckpoint } from './checkpoint.ts';
import { defineTaskKind, type TaskKind, throwIfTaskAborted } from './kind.ts';
import { digestField, integerField, oneOfField, specObject } from './specFields.ts';

/**
 * Spec of a `gradient` task: the gradient of the base checkpoint's mean
 * next-token loss over `batchSize` random windows of `seqLen` tokens drawn
 * from the shard with `Rng(seed)` (the same sampler as `train`).
 */
export type GradientSpec = {
  kind: 'gradient';
  /** Kernel version whose arithmetic the result follows. */
  kernel: typeof KERNEL_VERSION;
  /** Digest of the base checkpoint; AdamW state in it is ignored. */
  model: Hex;
  /** Digest of the token shard (core codec, i32 `[n]`). */
  shard: Hex;
  batchSize: number;
  seqLen: number;
  /** Seed of the batch sampler, an integer in [0, 2^53). */
  seed: number;
};

const KIND = 'gradient';
const SUPPORTED_KERNELS = [KERNEL_VERSION] as const;
const MAX_BATCH = 4096;
const MAX_SEQ_LEN = 1 << 16;

/** Validates a parsed JSON `gradient` spec; throws TaskSpecError naming the bad field. */
export function parseGradientSpec(json: unknown): GradientSpec {
  const obj = specObject(json, KIND, ['kernel', 'model', 'shard', 'batchSize', 'seqLen', 'seed']);
  return {
    kind: KIND,
    kernel: oneOfField(obj, 'kernel', SUPPORTED_KERNELS),
    model: digestField(obj, 'model'),
    shard: digestField(obj, 'shard'),
    batchSize: integerField(obj, 'batchSize', 1, MAX_BATCH),
    seqLen: integerField(obj, 'seqLen', 1, MAX_SEQ_LEN),
    seed: integerField(obj, 'seed', 0, Number.MAX_SAFE_INTEGER),
  };
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
    throwIfTaskAborted(ctx.signal);
    const [modelBytes, shardBytes] = await Promise.all([ctx.getBlob(spec.model), ctx.getBlob(spec.shard)]);
    throwIfTaskAborted(ctx.signal);
    const { params, metadata } = readCheckpoint(modelBytes, 'kernel');
    const model = new Gpt(params, { placement: 'kernel' });
    const grads = GptParams.zeros(params.config, 'kernel');
    try {
      const data = readTrainingShard(shardBytes, params.config, spec.seqLen);
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
