import { CanonicalJsonError, canonicalJsonBytes } from '../../core/canonicalJson.ts';
import { tensorFromBytes } from '../../core/tensorBytes.ts';
import { type GptConfig, headDim, makeGptConfig, mlpDim } from '../config.ts';
import { InvalidGptConfigError, MalformedPieceError } from '../errors.ts';
import type { GptParams, LayerNormWeights } from '../params.ts';
import { baseFloats, leafFloats, locateLeaf, pieceLayout } from './layout.ts';

/**
 * Payloads of the pieces (all numbers f32 little-endian, weights stored
 * `(out, in)` as in GptParams):
 * - base: a u32 LE length, then that many bytes of UTF-8 canonical JSON
 *   `{"config":…,"metadata":…}` (sorted keys), then the tensors in the order
 *   of `baseTensorList`;
 * - attn (layer l, head h): its q rows (hd × C) of c_attn, its k rows, its v
 *   rows, its q, k, v biases (hd each), then attn.c_proj's columns of the
 *   head as (C × hd) row-major;
 * - mlp (layer l, row j): c_fc row j (C), c_fc bias j, mlp.c_proj column j (C);
 * - vocab (row v): row v of wte (C).
 */

/** The base tensors of one layer: its layer norms and the biases of its two output projections. */
export type BaseBlock = {
  readonly ln1: LayerNormWeights;
  readonly attnProjBias: Float32Array;
  readonly ln2: LayerNormWeights;
  readonly mlpProjBias: Float32Array;
};

/** The tensors of the base leaf. */
export type BaseTensors = {
  /** Position embedding (contextLength, C). */
  readonly wpe: Float32Array;
  readonly blocks: readonly BaseBlock[];
  readonly lnF: LayerNormWeights;
};

/** The decoded base leaf: the model's config, its checkpoint metadata and its base tensors (views of one buffer). */
export type BasePiece = BaseTensors & {
  readonly config: GptConfig;
  readonly metadata: Record<string, string>;
};

/** The parts of an attn leaf, as views of its payload. */
export type AttnPieceParts = {
  /** (hd, C) each: the head's rows of c_attn. */
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  /** (hd) each. */
  readonly qBias: Float32Array;
  readonly kBias: Float32Array;
  readonly vBias: Float32Array;
  /** (C, hd): attn.c_proj's columns of the head. */
  readonly proj: Float32Array;
};

/** The parts of an mlp leaf, as views of its payload. */
export type MlpPieceParts = {
  /** (C): the c_fc row. */
  readonly fc: Float32Array;
  readonly fcBias: number;
  /** (C): mlp.c_proj's column. */
  readonly proj: Float32Array;
};

/** The base tensors in payload order: wpe; per layer ln_1 weight and bias, attn.c_proj bias, ln_2, mlp.c_proj bias; ln_f. */
export function baseTensorList(t: BaseTensors): Float32Array[] {
  const list = [t.wpe];
  for (const b of t.blocks) {
    list.push(b.ln1.weight, b.ln1.bias, b.attnProjBias, b.ln2.weight, b.ln2.bias, b.mlpProjBias);
  }
  list.push(t.lnF.weight, t.lnF.bias);
  return list;
}

/** The base tensors of `params`, as views. */
export function baseTensorsOf(params: GptParams): BaseTensors {
  const w = params.weights;
  const blocks = w.blocks.map((b) => ({
    ln1: b.ln1,
    attnProjBias: b.attnProj.bias,
    ln2: b.ln2,
    mlpProjBias: b.mlpProj.bias,
  }));
  return { wpe: w.wpe, blocks, lnF: w.lnF };
}

/** The payload of leaf `index` of the model (a new buffer); InvalidPieceRangeError for an index outside it. */
export function encodePiece(params: GptParams, metadata: Record<string, string>, index: number): Uint8Array {
  const { config } = params;
  const where = locateLeaf(pieceLayout(config), index);
  if (where.kind === 'base') return encodeBase(params, metadata);
  const out = new Float32Array(leafFloats(config, where.kind));
  if (where.kind === 'vocab') out.set(vocabRow(params, where.unit));
  else if (where.kind === 'attn') writeAttnLeaf(params, where.layer, where.unit, out);
  else writeMlpLeaf(params, where.layer, where.unit, out);
  return new Uint8Array(out.buffer);
}

/**
 * Every payload of the model in leaf order. Attn and mlp payloads reuse one
 * buffer each and vocab payloads are views of wte, so a payload is valid only
 * until the next one is pulled (PieceTree.fromLeaves hashes each at once).
 */
export function* piecePayloads(params: GptParams, metadata: Record<string, string>): Generator<Uint8Array> {
  const { config } = params;
  yield encodeBase(params, metadata);
  const attn = new Float32Array(leafFloats(config, 'attn'));
  const mlp = new Float32Array(leafFloats(config, 'mlp'));
  const [attnBytes, mlpBytes] = [new Uint8Array(attn.buffer), new Uint8Array(mlp.buffer)];
  for (let l = 0; l < config.nLayers; l++) {
    for (let h = 0; h < config.nHeads; h++) {
      writeAttnLeaf(params, l, h, attn);
      yield attnBytes;
    }
    for (let j = 0; j < mlpDim(config); j++) {
      writeMlpLeaf(params, l, j, mlp);
      yield mlpBytes;
    }
  }
  for (let v = 0; v < config.vocabSize; v++) {
    const row = vocabRow(params, v);
    yield new Uint8Array(row.buffer, row.byteOffset, row.byteLength);
  }
}

/**
 * Decodes a base leaf's payload; throws MalformedPieceError when it is
 * truncated, its header is not the canonical JSON of a valid config and
 * string metadata, or its tensors have the wrong size for that config.
 */
export function decodeBasePiece(payload: Uint8Array): BasePiece {
  if (payload.length < 4) throw new MalformedPieceError(`the base leaf has ${payload.length} bytes`);
  const headerLength = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, true);
  if (headerLength > payload.length - 4) {
    throw new MalformedPieceError(`the base header claims ${headerLength} bytes of ${payload.length - 4}`);
  }
  const headerBytes = payload.subarray(4, 4 + headerLength);
  const { config, metadata } = parseHeader(headerBytes);
  const floatBytes = payload.subarray(4 + headerLength);
  const floats = baseFloats(config);
  if (floatBytes.length !== 4 * floats) {
    throw new MalformedPieceError(`the base tensors have ${floatBytes.length} bytes`, {
      details: `the config needs ${4 * floats}`,
    });
  }
  const data = tensorFromBytes('f32', [floats], floatBytes).data as Float32Array;
  return { config, metadata, ...baseViews(config, data) };
}

/** The parts of an attn leaf's payload; MalformedPieceError when its size is not the config's. */
export function attnPieceParts(config: GptConfig, payload: Uint8Array): AttnPieceParts {
  const f = floatsOf(config, 'attn', payload);
  const [C, hd] = [config.dModel, headDim(config)];
  const rows = (i: number) => f.subarray(i * hd * C, (i + 1) * hd * C);
  const bias = (i: number) => f.subarray(3 * hd * C + i * hd, 3 * hd * C + (i + 1) * hd);
  const proj = f.subarray(3 * hd * C + 3 * hd);
  return { q: rows(0), k: rows(1), v: rows(2), qBias: bias(0), kBias: bias(1), vBias: bias(2), proj };
}

/** The parts of an mlp leaf's payload; MalformedPieceError when its size is not the config's. */
export function mlpPieceParts(config: GptConfig, payload: Uint8Array): MlpPieceParts {
  const f = floatsOf(config, 'mlp', payload);
  const C = config.dModel;
  return { fc: f.subarray(0, C), fcBias: f[C]!, proj: f.subarray(C + 1) };
}

/** The wte row of a vocab leaf's payload; MalformedPieceError when its size is not the config's. */
export function vocabPieceRow(config: GptConfig, payload: Uint8Array): Float32Array {
  return floatsOf(config, 'vocab', payload);
}

/** The base payload: length-prefixed canonical JSON header, then the base tensors. */
function encodeBase(params: GptParams, metadata: Record<string, string>): Uint8Array {
  const header = baseHeader(params.config, metadata);
  const floats = new Float32Array(baseFloats(params.config));
  let at = 0;
  for (const t of baseTensorList(baseTensorsOf(params))) {
    floats.set(t, at);
    at += t.length;
  }
  const out = new Uint8Array(4 + header.length + floats.byteLength);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  out.set(new Uint8Array(floats.buffer), 4 + header.length);
  return out;
}

/** The canonical JSON header of the base leaf (the config's fields only, metadata keys sorted). */
function baseHeader(config: GptConfig, metadata: Record<string, string>): Uint8Array {
  const { vocabSize, contextLength, dModel, nHeads, nLayers, mlpRatio, layerNormEps } = config;
  const fields = { vocabSize, contextLength, dModel, nHeads, nLayers, mlpRatio, layerNormEps };
  return canonicalJsonBytes({ config: fields, metadata });
}

/** Writes the attn leaf of head h of layer l into `out`. */
function writeAttnLeaf(params: GptParams, l: number, h: number, out: Float32Array): void {
  const { qkv, attnProj } = params.weights.blocks[l]!;
  const [C, hd] = [params.config.dModel, headDim(params.config)];
  for (let part = 0; part < 3; part++) {
    const row = part * C + h * hd;
    out.set(qkv.weight.subarray(row * C, (row + hd) * C), part * hd * C);
    out.set(qkv.bias.subarray(row, row + hd), 3 * hd * C + part * hd);
  }
  const w = attnProj.weight;
  let at = 3 * hd * C + 3 * hd;
  for (let r = 0; r < C; r++) {
    const from = r * C + h * hd;
    for (let i = 0; i < hd; i++) out[at++] = w[from + i]!;
  }
}

/** Writes the mlp leaf of c_fc row j of layer l into `out`. */
function writeMlpLeaf(params: GptParams, l: number, j: number, out: Float32Array): void {
  const { fc, mlpProj } = params.weights.blocks[l]!;
  const [C, F] = [params.config.dModel, mlpDim(params.config)];
  out.set(fc.weight.subarray(j * C, (j + 1) * C));
  out[C] = fc.bias[j]!;
  const w = mlpProj.weight;
  for (let r = 0; r < C; r++) out[C + 1 + r] = w[r * F + j]!;
}

function vocabRow(params: GptParams, v: number): Float32Array {
  const C = params.config.dModel;
  return params.weights.wte.subarray(v * C, (v + 1) * C);
}

/** The base tensors of a config as views of `data` (baseFloats(config) floats), in payload order. */
function baseViews(config: GptConfig, data: Float32Array): BaseTensors {
  const C = config.dModel;
  let at = 0;
  const take = (n: number) => data.subarray(at, (at += n));
  const wpe = take(config.contextLength * C);
  const blocks: BaseBlock[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    const ln1 = { weight: take(C), bias: take(C) };
    const attnProjBias = take(C);
    const ln2 = { weight: take(C), bias: take(C) };
    blocks.push({ ln1, attnProjBias, ln2, mlpProjBias: take(C) });
  }
  return { wpe, blocks, lnF: { weight: take(C), bias: take(C) } };
}

/** Parses and checks the base header; it must be the canonical JSON it would be encoded as. */
function parseHeader(bytes: Uint8Array): { config: GptConfig; metadata: Record<string, string> } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new MalformedPieceError('the base header is not UTF-8 JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedPieceError('the base header is not a JSON object');
  }
  const { config: rawConfig, metadata } = value as { config?: unknown; metadata?: unknown };
  let config: GptConfig;
  try {
    config = makeGptConfig(rawConfig as GptConfig);
  } catch (cause) {
    if (!(cause instanceof InvalidGptConfigError || cause instanceof TypeError)) throw cause;
    throw new MalformedPieceError('the base header has no valid config', { cause });
  }
  const isStrings =
    typeof metadata === 'object' &&
    metadata !== null &&
    !Array.isArray(metadata) &&
    Object.values(metadata).every((v) => typeof v === 'string');
  if (!isStrings) throw new MalformedPieceError('the base header metadata is not an object of strings');
  const strings = metadata as Record<string, string>;
  let canonical: Uint8Array;
  try {
    canonical = baseHeader(config, strings);
  } catch (cause) {
    if (!(cause instanceof CanonicalJsonError)) throw cause;
    throw new MalformedPieceError('the base header is not canonical JSON', { cause });
  }
  if (!sameBytes(canonical, bytes)) throw new MalformedPieceError('the base header is not canonical JSON');
  return { config, metadata: strings };
}

/** The payload as f32 of a leaf kind, checked for size; a view when aligned, else an aligned copy. */
function floatsOf(config: GptConfig, kind: 'attn' | 'mlp' | 'vocab', payload: Uint8Array): Float32Array {
  const n = leafFloats(config, kind);
  if (payload.length !== 4 * n) {
    throw new MalformedPieceError(`a ${kind} leaf has ${payload.length} bytes`, {
      details: `expected ${4 * n}`,
    });
  }
  if (payload.byteOffset % 4 === 0) return new Float32Array(payload.buffer, payload.byteOffset, n);
  return tensorFromBytes('f32', [n], payload).data as Float32Array;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
