import type { Hex } from 'viem';
import type { GptConfig } from '../model/config.ts';
import { InvalidTrainingSetupError } from '../model/errors.ts';
import { KERNEL_VERSION } from '../tensor/version.ts';
import { type Checkpoint, readCheckpoint, readTokenShard } from './checkpoint.ts';
import { type TaskContext, throwIfTaskAborted } from './kind.ts';
import { digestField, integerField, oneOfField } from './specFields.ts';

/**
 * What the `train` and `gradient` task kinds share: a base checkpoint, a
 * token shard, and batches of `batchSize` random windows of `seqLen` tokens
 * drawn from the shard with `Rng(seed)`.
 */
export type BatchSource = {
  /** Kernel version whose arithmetic the result follows. */
  kernel: typeof KERNEL_VERSION;
  /** Digest of the base checkpoint (safetensors written by exportGpt). */
  model: Hex;
  /** Digest of the token shard (core codec, i32 `[n]`). */
  shard: Hex;
  batchSize: number;
  seqLen: number;
  /** Seed of the batch sampler, an integer in [0, 2^53). */
  seed: number;
};

/** The spec fields of a BatchSource, for `specObject`. */
export const BATCH_SOURCE_FIELDS = ['kernel', 'model', 'shard', 'batchSize', 'seqLen', 'seed'] as const;
const SUPPORTED_KERNELS = [KERNEL_VERSION] as const;
/** Upper bounds that keep one task's work and memory sane. */
const MAX_BATCH = 4096;
const MAX_SEQ_LEN = 1 << 16;

/** Reads the BatchSource fields of a spec object; throws TaskSpecError naming the bad field. */
export function parseBatchSource(obj: Record<string, unknown>): BatchSource {
  return {
    kernel: oneOfField(obj, 'kernel', SUPPORTED_KERNELS),
    model: digestField(obj, 'model'),
    shard: digestField(obj, 'shard'),
    batchSize: integerField(obj, 'batchSize', 1, MAX_BATCH),
    seqLen: integerField(obj, 'seqLen', 1, MAX_SEQ_LEN),
    seed: integerField(obj, 'seed', 0, Number.MAX_SAFE_INTEGER),
  };
}

/**
 * Fetches a training task's base checkpoint (its params in kernel memory:
 * the caller disposes them) and its shard, checked for windows of `seqLen`.
 * Throws TaskAbortedError once the task is cancelled.
 */
export async function readTrainingInputs(
  spec: BatchSource,
  ctx: TaskContext,
): Promise<{ checkpoint: Checkpoint; data: Int32Array }> {
  throwIfTaskAborted(ctx.signal);
  const [modelBytes, shardBytes] = await Promise.all([ctx.getBlob(spec.model), ctx.getBlob(spec.shard)]);
  throwIfTaskAborted(ctx.signal);
  const checkpoint = readCheckpoint(modelBytes, 'kernel');
  try {
    return { checkpoint, data: readTrainingShard(shardBytes, checkpoint.params.config, spec.seqLen) };
  } catch (err) {
    checkpoint.params.dispose();
    throw err;
  }
}

/**
 * The token shard of a training task for windows of `seqLen` tokens:
 * InvalidTrainingSetupError if `seqLen` exceeds the model's context, else
 * `readTokenShard` with room for one window plus its target.
 */
function readTrainingShard(bytes: Uint8Array, config: GptConfig, seqLen: number): Int32Array {
  if (seqLen > config.contextLength) {
    throw new InvalidTrainingSetupError(
      `seqLen ${seqLen} exceeds the model's context length ${config.contextLength}`,
      'Use a seqLen no longer than the context length.',
    );
  }
  return readTokenShard(bytes, config.vocabSize, seqLen + 1);
}
