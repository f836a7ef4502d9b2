import { bf16ToF32, f16ToF32 } from '../core/halfFloat.ts';
import { decodeSafetensors, encodeSafetensors } from '../core/safetensors.ts';
import type { Tensor } from '../core/tensor.ts';
import { transposeInto } from '../tensor/ts/scratch.ts';
import { type GptConfig, makeGptConfig } from './config.ts';
import {
  InvalidGptConfigError,
  InvalidModelMetadataError,
  MissingTensorError,
  TensorShapeMismatchError,
  UnexpectedTensorError,
  UnsupportedModelDtypeError,
  UntiedOutputHeadError,
} from './errors.ts';
import type { Placement } from './memory.ts';
import { GptParams, type ParamSpec } from './params.ts';

/** The `__metadata__` key holding the model's GptConfig as JSON. */
export const GPT_CONFIG_METADATA_KEY = 'concord.gpt.config';
/** Head width of every OpenAI GPT-2 size, used to infer nHeads from a file without config metadata. */
export const GPT2_HEAD_DIM = 64;

/** Hugging Face names that are buffers, not parameters: accepted on import and ignored. */
const IGNORED_BUFFER = /^h\.\d+\.attn\.(bias|masked_bias)$/;
const LAYER_NAME = /^h\.(\d+)\./;
const HF_PREFIX = 'transformer.';
const LM_HEAD = 'lm_head.weight';

/** Options of `importGpt` for files without Concord's config metadata. */
export type ImportGptOptions = {
  /** Number of attention heads (shapes do not reveal it); default dModel / 64 as in every GPT-2 size. */
  nHeads?: number;
  /** Layer-norm epsilon; default 1e-5 as in GPT-2. */
  layerNormEps?: number;
  /** Where the parameters live (see memory.ts); default 'js'. */
  placement?: Placement;
};

/** A model read from a safetensors file. */
export type ImportedGpt = {
  params: GptParams;
  config: GptConfig;
  /** The file's `__metadata__` entries. */
  metadata: Record<string, string>;
};

/** Hugging Face layout of a parameter: Conv1D weights are stored `(in, out)`. */
function hfShape(spec: ParamSpec): readonly number[] {
  return spec.hfTransposed ? [...spec.shape].reverse() : spec.shape;
}

/**
 * Writes the parameters as a safetensors file with Hugging Face GPT-2 names
 * and layouts (Conv1D weights transposed to `(in, out)`), f32, and the config
 * as JSON under `concord.gpt.config` in `__metadata__`. Deterministic bytes.
 */
export function exportGpt(params: GptParams, metadata: Record<string, string> = {}): Uint8Array {
  const tensors: Record<string, Tensor> = {};
  for (const spec of params.specs) {
    const view = params.view(spec.name);
    const data = spec.hfTransposed ? transpose(view, spec.shape[0]!, spec.shape[1]!) : view;
    tensors[spec.name] = { dtype: 'f32', shape: hfShape(spec), data };
  }
  return encodeSafetensors(tensors, {
    format: 'pt',
    ...metadata,
    [GPT_CONFIG_METADATA_KEY]: JSON.stringify(params.config),
  });
}

/**
 * Reads a GPT-2 model from safetensors bytes: a file written by `exportGpt`,
 * or a Hugging Face GPT-2 checkpoint (names with or without `transformer.`,
 * f32/f16/bf16; the attention mask buffers and a tied `lm_head.weight` are
 * accepted and dropped). The config comes from the metadata or is inferred
 * from the shapes. Throws MissingTensorError, UnexpectedTensorError,
 * TensorShapeMismatchError, UnsupportedModelDtypeError, UntiedOutputHeadError,
 * InvalidModelMetadataError, or the safetensors decoder's own errors
 * (truncated file, NaN/Inf data, ...).
 */
export function importGpt(bytes: Uint8Array, options: ImportGptOptions = {}): ImportedGpt {
  const file = decodeSafetensors(bytes);
  const tensors = new Map<string, Tensor>();
  let lmHead: Tensor | undefined;
  for (const [rawName, tensor] of Object.entries(file.tensors)) {
    const name = rawName.startsWith(HF_PREFIX) ? rawName.slice(HF_PREFIX.length) : rawName;
    if (IGNORED_BUFFER.test(name)) continue;
    if (name === LM_HEAD) lmHead = tensor;
    else if (tensors.has(name)) throw new UnexpectedTensorError(rawName);
    else tensors.set(name, tensor);
  }
  const configJson = file.metadata[GPT_CONFIG_METADATA_KEY];
  const config = configJson === undefined ? inferConfig(tensors, options) : parseConfig(configJson);
  const params = GptParams.zeros(config, options.placement ?? 'js');
  try {
    fillParams(params, tensors);
    if (lmHead) checkTiedHead(lmHead, params.weights.wte);
  } catch (err) {
    params.dispose();
    throw err;
  }
  return { params, config, metadata: file.metadata };
}

/** Copies every parameter from the file's tensors (Hugging Face layout) into `params`; consumes `tensors`. */
function fillParams(params: GptParams, tensors: Map<string, Tensor>): void {
  for (const spec of params.specs) {
    const tensor = tensors.get(spec.name);
    if (!tensor) throw new MissingTensorError(spec.name);
    const expected = hfShape(spec);
    if (tensor.shape.length !== expected.length || tensor.shape.some((d, i) => d !== expected[i])) {
      throw new TensorShapeMismatchError(spec.name, expected, tensor.shape);
    }
    const data = toF32(spec.name, tensor);
    const view = params.view(spec.name);
    if (spec.hfTransposed) transposeInto(data, expected[0]!, expected[1]!, view);
    else view.set(data);
    tensors.delete(spec.name);
  }
  const extra = tensors.keys().next();
  if (!extra.done) throw new UnexpectedTensorError(extra.value);
}

function parseConfig(json: string): GptConfig {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (cause) {
    throw new InvalidModelMetadataError(`${GPT_CONFIG_METADATA_KEY} is not JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidModelMetadataError(`${GPT_CONFIG_METADATA_KEY} is not a JSON object`);
  }
  try {
    return makeGptConfig(value as GptConfig);
  } catch (cause) {
    if (cause instanceof InvalidGptConfigError) {
      throw new InvalidModelMetadataError(`${GPT_CONFIG_METADATA_KEY} is not a valid config`, { cause });
    }
    throw cause;
  }
}

/** Infers a config from a Hugging Face checkpoint's shapes (wte, wpe, c_fc, the number of blocks). */
function inferConfig(tensors: ReadonlyMap<string, Tensor>, options: ImportGptOptions): GptConfig {
  const shapeOf = (name: string, rank: number): readonly number[] => {
    const t = tensors.get(name);
    if (!t) throw new MissingTensorError(name);
    if (t.shape.length !== rank) throw new TensorShapeMismatchError(name, new Array(rank).fill(0), t.shape);
    return t.shape;
  };
  const [vocabSize, dModel] = shapeOf('wte.weight', 2) as [number, number];
  const [contextLength] = shapeOf('wpe.weight', 2) as [number];
  let nLayers = 0;
  for (const name of tensors.keys()) {
    const m = LAYER_NAME.exec(name);
    if (m) nLayers = Math.max(nLayers, Number(m[1]) + 1);
  }
  const hidden = nLayers > 0 ? (shapeOf('h.0.mlp.c_fc.weight', 2)[1] as number) : 4 * dModel;
  const nHeads = options.nHeads ?? dModel / GPT2_HEAD_DIM;
  return makeGptConfig({
    vocabSize,
    contextLength,
    dModel,
    nHeads,
    nLayers,
    mlpRatio: hidden / dModel,
    ...(options.layerNormEps === undefined ? {} : { layerNormEps: options.layerNormEps }),
  });
}

/** The tensor's values as f32 (widening f16/bf16 exactly). */
function toF32(name: string, t: Tensor): Float32Array {
  if (t.dtype === 'f32') return t.data as Float32Array;
  const widen = t.dtype === 'f16' ? f16ToF32 : t.dtype === 'bf16' ? bf16ToF32 : undefined;
  if (!widen) throw new UnsupportedModelDtypeError(name, t.dtype);
  const src = t.data as Uint16Array;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = widen(src[i] as number);
  return out;
}

function checkTiedHead(lmHead: Tensor, wte: Float32Array): void {
  if (lmHead.data.length !== wte.length) throw new UntiedOutputHeadError();
  const data = toF32(LM_HEAD, lmHead);
  for (let i = 0; i < wte.length; i++) if (data[i] !== wte[i]) throw new UntiedOutputHeadError();
}

/** The transpose of a row-major (rows, cols) matrix, as a new (cols, rows) array. */
function transpose(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  transposeInto(src, rows, cols, out);
  return out;
}
