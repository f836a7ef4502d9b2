import { decodeTensor } from '../core/codec.ts';
import { decodeSafetensors, encodeSafetensors } from '../core/safetensors.ts';
import type { Tensor } from '../core/tensor.ts';
import type { AdamWState } from '../model/adamw.ts';
import type { Placement } from '../model/memory.ts';
import type { GptParams } from '../model/params.ts';
import { exportGpt, GPT_CONFIG_METADATA_KEY, importGpt } from '../model/safetensors.ts';
import { TaskInputError } from './errors.ts';

/**
 * Checkpoints and token shards as the ML task kinds read and write them. A
 * checkpoint is the model's safetensors file (`exportGpt`: Hugging Face names,
 * f32, config in metadata) plus free metadata such as the tokenizer, which
 * every task passes through unchanged, and optionally the AdamW state: the
 * moments as two flat f32 tensors in the parameters' layout
 * (`OPTIMIZER_M`, `OPTIMIZER_V`) and the step count in metadata.
 */

/** Tensor names and metadata key of the optional AdamW state. */
export const OPTIMIZER_M = 'concord.adamw.m';
export const OPTIMIZER_V = 'concord.adamw.v';
export const OPTIMIZER_STEP_KEY = 'concord.adamw.step';
/** Metadata key that marks a checkpoint's tensors as a loss gradient (`gradient` task results). */
export const GRADIENT_METADATA_KEY = 'concord.gradient';

/** A checkpoint read from a blob: parameters, metadata other than config and optimizer step, optimizer state if carried. */
export type Checkpoint = {
  params: GptParams;
  metadata: Record<string, string>;
  optimizer?: AdamWState;
};

/**
 * Reads a checkpoint blob; throws the safetensors/model import errors for
 * corrupt or NaN data, TaskInputError for a malformed optimizer state. With
 * placement 'kernel' the caller must `dispose()` the params.
 */
export function readCheckpoint(bytes: Uint8Array, placement: Placement = 'js'): Checkpoint {
  const optimizer = readOptimizerState(bytes);
  const model = optimizer ? withoutOptimizer(bytes) : bytes;
  const { params, metadata } = importGpt(model, { placement });
  const rest: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) if (key !== GPT_CONFIG_METADATA_KEY) rest[key] = value;
  if (!optimizer) return { params, metadata: rest };
  if (optimizer.m.length !== params.flat.length) {
    throw new TaskInputError(
      `Checkpoint optimizer state has ${optimizer.m.length} elements for ${params.flat.length} parameters.`,
    );
  }
  return { params, metadata: rest, optimizer };
}

/** Writes a checkpoint blob (deterministic bytes). */
export function writeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const model = exportGpt(checkpoint.params, checkpoint.metadata);
  const state = checkpoint.optimizer;
  if (!state) return model;
  const file = decodeSafetensors(model);
  const n = state.m.length;
  const tensors: Record<string, Tensor> = {
    ...file.tensors,
    [OPTIMIZER_M]: { dtype: 'f32', shape: [n], data: state.m },
    [OPTIMIZER_V]: { dtype: 'f32', shape: [n], data: state.v },
  };
  return encodeSafetensors(tensors, { ...file.metadata, [OPTIMIZER_STEP_KEY]: String(state.step) });
}

/** The AdamW state stored in a checkpoint file, or undefined if it has none. */
function readOptimizerState(bytes: Uint8Array): AdamWState | undefined {
  const file = decodeSafetensors(bytes);
  const m = file.tensors[OPTIMIZER_M];
  const v = file.tensors[OPTIMIZER_V];
  const step = file.metadata[OPTIMIZER_STEP_KEY];
  if (m === undefined && v === undefined && step === undefined) return undefined;
  const ok =
    m?.dtype === 'f32' &&
    v?.dtype === 'f32' &&
    m.shape.length === 1 &&
    v.shape.length === 1 &&
    m.shape[0] === v.shape[0] &&
    step !== undefined &&
    /^(0|[1-9][0-9]{0,14})$/.test(step);
  if (!ok) {
    throw new TaskInputError('Checkpoint has an incomplete or malformed AdamW state.', {
      hint: `Store both ${OPTIMIZER_M} and ${OPTIMIZER_V} as f32 [n] and ${OPTIMIZER_STEP_KEY} as an integer, or none of them.`,
    });
  }
  return { m: m.data as Float32Array, v: v.data as Float32Array, step: Number(step) };
}

/** The checkpoint file without its optimizer tensors and step, for importGpt. */
function withoutOptimizer(bytes: Uint8Array): Uint8Array {
  const file = decodeSafetensors(bytes);
  const { [OPTIMIZER_M]: _m, [OPTIMIZER_V]: _v, ...tensors } = file.tensors;
  const { [OPTIMIZER_STEP_KEY]: _step, ...metadata } = file.metadata;
  return encodeSafetensors(tensors, metadata);
}

/**
 * Reads a token shard blob: a rank-1 i32 tensor (core codec) of ids in
 * `[0, vocabSize)` with at least `minTokens` ids; TaskInputError otherwise.
 */
export function readTokenShard(bytes: Uint8Array, vocabSize: number, minTokens: number): Int32Array {
  const t = decodeTensor(bytes);
  if (t.dtype !== 'i32' || t.shape.length !== 1) {
    throw new TaskInputError(
      `Token shard is a ${t.dtype} tensor of shape [${t.shape.join(', ')}], expected i32 [n].`,
      { hint: 'Encode shards with shardBlob (src/data/shards.ts).' },
    );
  }
  const ids = t.data as Int32Array;
  if (ids.length < minTokens) {
    throw new TaskInputError(`Token shard has ${ids.length} tokens; this task needs at least ${minTokens}.`, {
      hint: 'Use a shorter seqLen or a larger shard.',
    });
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (id < 0 || id >= vocabSize) {
      throw new TaskInputError(
        `Token shard holds id ${id} at ${i}, outside the model's vocabulary of ${vocabSize}.`,
        {
          hint: 'Encode the shard with the tokenizer stored in the model checkpoint.',
        },
      );
    }
  }
  return ids;
}
