import { allocBuffer, freeBuffer, type GptParams, headDim, mlpDim } from '../../model/index.ts';
import { isKernelResident, wasmAvailable } from '../../tensor/index.ts';
import { ExchangeShardInvalidError } from '../errors.ts';
import type { ExchangeSpec } from '../exchange.ts';

/**
 * The weights of one `attn` shard: heads [headStart, headEnd) of a layer (g
 * heads of headDim). Every weight is stored (out, in), as everywhere in Concord.
 */
export type AttnShardWeights = {
  readonly kind: 'attn';
  readonly layer: number;
  readonly shard: number;
  readonly headStart: number;
  readonly headEnd: number;
  readonly headDim: number;
  readonly dModel: number;
  /** (3·g·hd, C): the group's q rows of c_attn, then its k rows, then its v rows. */
  readonly qkv: Float32Array;
  /** (3·g·hd): c_attn's bias in the same row order. */
  readonly qkvBias: Float32Array;
  /** (C, g·hd): attn.c_proj's columns of the group's heads, contiguous. */
  readonly proj: Float32Array;
};

/** The weights of one `mlp` shard: c_fc rows [rowStart, rowEnd) of a layer and mlp.c_proj's matching columns. */
export type MlpShardWeights = {
  readonly kind: 'mlp';
  readonly layer: number;
  readonly shard: number;
  readonly rowStart: number;
  readonly rowEnd: number;
  readonly dModel: number;
  /** (n, C): rows of c_fc. */
  readonly fc: Float32Array;
  /** (n): c_fc's bias of those rows. */
  readonly fcBias: Float32Array;
  /** (C, n): mlp.c_proj's columns [rowStart, rowEnd), contiguous. */
  readonly proj: Float32Array;
};

/** The weights of one `lm_head` shard: vocabulary rows [rowStart, rowEnd) of wte (the tied output head). */
export type HeadShardWeights = {
  readonly kind: 'lm_head';
  readonly shard: number;
  readonly rowStart: number;
  readonly rowEnd: number;
  readonly dModel: number;
  /** (n, C). */
  readonly weight: Float32Array;
};

/** What one shard of an exchange (see `gptExchanges`) holds. */
export type ExchangeShardWeights = AttnShardWeights | MlpShardWeights | HeadShardWeights;

/**
 * Cuts shard `shard` of exchange `spec`, covering units [start, end) of the
 * exchange's rows (heads, c_fc rows or vocabulary rows, as `shardRanges`
 * gives them), out of `params`. Arrays that are contiguous in the params
 * (c_fc rows, wte rows) are views; the rest are copies on the JS heap.
 * Throws ExchangeShardInvalidError when the spec does not belong to the
 * model or the range is not inside it.
 */
export function cutExchangeShard(
  params: GptParams,
  spec: ExchangeSpec,
  shard: number,
  [start, end]: readonly [number, number],
): ExchangeShardWeights {
  checkSpec(params, spec, shard, start, end);
  const C = params.config.dModel;
  if (spec.matrix === 'lm_head') {
    const weight = params.weights.wte.subarray(start * C, end * C);
    return { kind: 'lm_head', shard, rowStart: start, rowEnd: end, dModel: C, weight };
  }
  const block = params.weights.blocks[spec.layer]!;
  if (spec.matrix === 'mlp') {
    const fc = block.fc.weight.subarray(start * C, end * C);
    const fcBias = block.fc.bias.subarray(start, end);
    const proj = columns(block.mlpProj.weight, C, spec.rows, start, end);
    return {
      kind: 'mlp',
      layer: spec.layer,
      shard,
      rowStart: start,
      rowEnd: end,
      dModel: C,
      fc,
      fcBias,
      proj,
    };
  }
  const hd = headDim(params.config);
  const [from, to] = [start * hd, end * hd]; // the group's rows within each of q, k, v
  const width = to - from;
  const qkv = new Float32Array(3 * width * C);
  const qkvBias = new Float32Array(3 * width);
  for (let part = 0; part < 3; part++) {
    const row = part * C + from;
    qkv.set(block.qkv.weight.subarray(row * C, (row + width) * C), part * width * C);
    qkvBias.set(block.qkv.bias.subarray(row, row + width), part * width);
  }
  const proj = columns(block.attnProj.weight, C, C, from, to);
  return {
    kind: 'attn',
    layer: spec.layer,
    shard,
    headStart: start,
    headEnd: end,
    headDim: hd,
    dModel: C,
    qkv,
    qkvBias,
    proj,
  };
}

/** Throws ExchangeShardInvalidError unless every buffer of the shard has the size its ranges and widths give. */
export function checkExchangeShard(w: ExchangeShardWeights): void {
  const C = w.dModel;
  const [start, end] = w.kind === 'attn' ? [w.headStart, w.headEnd] : [w.rowStart, w.rowEnd];
  const counts = [
    C,
    w.shard,
    start,
    end,
    w.kind === 'lm_head' ? 0 : w.layer,
    w.kind === 'attn' ? w.headDim : 1,
  ];
  if (!counts.every((n) => Number.isSafeInteger(n) && n >= 0) || C < 1 || end <= start || counts[5] === 0) {
    throw new ExchangeShardInvalidError(`The ${w.kind} shard ${w.shard} has a bad range or width.`, {
      details: `units [${start}, ${end}), dModel ${C}`,
    });
  }
  const n = (end - start) * (w.kind === 'attn' ? w.headDim : 1); // rows of the first matrix (per part for attn)
  const sizes: Array<[string, Float32Array, number]> =
    w.kind === 'attn'
      ? [
          ['qkv', w.qkv, 3 * n * C],
          ['qkvBias', w.qkvBias, 3 * n],
          ['proj', w.proj, C * n],
        ]
      : w.kind === 'mlp'
        ? [
            ['fc', w.fc, n * C],
            ['fcBias', w.fcBias, n],
            ['proj', w.proj, C * n],
          ]
        : [['weight', w.weight, n * C]];
  for (const [name, buf, size] of sizes) {
    if (buf.length !== size) {
      throw new ExchangeShardInvalidError(
        `The ${w.kind} shard ${w.shard} has ${name} of ${buf.length} floats.`,
        {
          details: `expected ${size}`,
        },
      );
    }
  }
}

/** Shard weights moved to kernel memory, and how to give that memory back. */
export type PlacedShard<W extends ExchangeShardWeights> = {
  readonly weights: W;
  /** Frees the kernel-memory copies; the placed weights must not be used afterwards. */
  free(): void;
};

/**
 * Copies a shard's weight matrices (not its small biases) into the kernels'
 * WebAssembly memory, where products read them without staging (about twice
 * as fast); matrices already there, or that no longer fit, stay where they
 * are. The bits of every product are unchanged.
 */
export function placeShardInKernelMemory<W extends ExchangeShardWeights>(w: W): PlacedShard<W> {
  const copies: Float32Array[] = [];
  const place = (buf: Float32Array): Float32Array => {
    if (!wasmAvailable || isKernelResident(buf)) return buf;
    const copy = allocBuffer(buf.length, 'kernel');
    if (!isKernelResident(copy)) return buf; // kernel memory is full: stays on the JS heap
    copy.set(buf);
    copies.push(copy);
    return copy;
  };
  const weights =
    w.kind === 'attn'
      ? { ...w, qkv: place(w.qkv), proj: place(w.proj) }
      : w.kind === 'mlp'
        ? { ...w, fc: place(w.fc), proj: place(w.proj) }
        : { ...w, weight: place(w.weight) };
  return {
    weights,
    free() {
      for (const copy of copies.splice(0)) freeBuffer(copy);
    },
  };
}

/** Throws ExchangeShardInvalidError unless `spec` is an exchange of the params' model and [start, end) is inside it. */
function checkSpec(params: GptParams, spec: ExchangeSpec, shard: number, start: number, end: number): void {
  const { config } = params;
  const rows = { attn: config.nHeads, mlp: mlpDim(config), lm_head: config.vocabSize };
  const layerOk =
    spec.matrix === 'lm_head' ? spec.layer === -1 : spec.layer >= 0 && spec.layer < config.nLayers;
  const ok =
    layerOk &&
    Number.isSafeInteger(spec.layer) &&
    spec.rows === rows[spec.matrix] &&
    spec.cols === config.dModel &&
    Number.isSafeInteger(shard) &&
    shard >= 0 &&
    Number.isSafeInteger(start) &&
    Number.isSafeInteger(end) &&
    start >= 0 &&
    start < end &&
    end <= spec.rows;
  if (!ok) {
    throw new ExchangeShardInvalidError(
      `Exchange ${spec.name} has no shard [${start}, ${end}) in this model.`,
      {
        hint: 'Cut shards of gptExchanges(params.config) with ranges from shardRanges.',
      },
    );
  }
}

/** Columns [from, to) of a (rows, cols) matrix as a contiguous (rows, to − from) copy. */
function columns(w: Float32Array, rows: number, cols: number, from: number, to: number): Float32Array {
  const width = to - from;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(w.subarray(r * cols + from, r * cols + to), r * width);
  return out;
}
