import { type GptConfig, headDim, InvalidPieceRangeError, mlpDim } from '../../model/index.ts';
import {
  attnLeaves,
  attnPieceParts,
  mlpLeaves,
  mlpPieceParts,
  type PieceLayout,
  pieceLayout,
  vocabLeaves,
  vocabPieceRow,
} from '../../model/pieces/index.ts';
import { ExchangeShardInvalidError } from '../errors.ts';
import type { ExchangeSpec } from '../exchange.ts';
import type { ExchangeShardWeights } from './weights.ts';

/**
 * Leaves [start, end) of one exchange shard: heads, c_fc rows or vocabulary
 * rows [units[0], units[1]) of `spec`. Throws ExchangeShardInvalidError when
 * the spec or the units are not the layout's model's.
 */
export function exchangeLeafRange(
  layout: PieceLayout,
  spec: ExchangeSpec,
  units: readonly [number, number],
): [number, number] {
  const [start, end] = units;
  try {
    const { config } = layout;
    const rows = { attn: config.nHeads, mlp: mlpDim(config), lm_head: config.vocabSize }[spec.matrix];
    if (spec.cols !== config.dModel || spec.rows !== rows) {
      throw new InvalidPieceRangeError(`${spec.rows} units of width ${spec.cols}`);
    }
    if (spec.matrix === 'lm_head') {
      if (spec.layer !== -1) throw new InvalidPieceRangeError(`output head layer ${spec.layer}`);
      return vocabLeaves(layout, start, end);
    }
    return spec.matrix === 'attn'
      ? attnLeaves(layout, spec.layer, start, end)
      : mlpLeaves(layout, spec.layer, start, end);
  } catch (cause) {
    if (!(cause instanceof InvalidPieceRangeError)) throw cause;
    throw new ExchangeShardInvalidError(
      `Exchange ${spec.name} has no shard [${start}, ${end}) in this model.`,
      {
        hint: 'Take shards of gptExchanges(config) with ranges from shardRanges.',
        cause,
      },
    );
  }
}

/**
 * Assembles the shard's weights from its leaves' payloads (bit-equal to
 * cutExchangeShard of the full params), as fresh arrays on the JS heap.
 * Throws ExchangeShardInvalidError for a spec or units outside the model or
 * a wrong count of payloads, MalformedPieceError for a payload of the wrong size.
 */
export function shardFromPieces(
  config: GptConfig,
  spec: ExchangeSpec,
  shard: number,
  units: readonly [number, number],
  payloads: readonly Uint8Array[],
): ExchangeShardWeights {
  const [start, end] = units;
  const [first, last] = exchangeLeafRange(pieceLayout(config), spec, units);
  if (payloads.length !== last - first || !Number.isSafeInteger(shard) || shard < 0) {
    throw new ExchangeShardInvalidError(
      `Shard ${shard} of ${spec.name} needs ${last - first} leaves; got ${payloads.length} payloads.`,
    );
  }
  const C = config.dModel;
  const n = end - start;
  if (spec.matrix === 'lm_head') {
    const weight = new Float32Array(n * C);
    for (const [i, p] of payloads.entries()) weight.set(vocabPieceRow(config, p), i * C);
    return { kind: 'lm_head', shard, rowStart: start, rowEnd: end, dModel: C, weight };
  }
  if (spec.matrix === 'mlp') {
    const [fc, fcBias, proj] = [new Float32Array(n * C), new Float32Array(n), new Float32Array(C * n)];
    for (const [i, p] of payloads.entries()) {
      const parts = mlpPieceParts(config, p);
      fc.set(parts.fc, i * C);
      fcBias[i] = parts.fcBias;
      for (let r = 0; r < C; r++) proj[r * n + i] = parts.proj[r]!;
    }
    const { layer } = spec;
    return { kind: 'mlp', layer, shard, rowStart: start, rowEnd: end, dModel: C, fc, fcBias, proj };
  }
  const hd = headDim(config);
  const width = n * hd; // the group's rows within each of q, k, v
  const qkv = new Float32Array(3 * width * C);
  const qkvBias = new Float32Array(3 * width);
  const proj = new Float32Array(C * width);
  for (const [i, p] of payloads.entries()) {
    const parts = attnPieceParts(config, p);
    const rows = [parts.q, parts.k, parts.v];
    const biases = [parts.qBias, parts.kBias, parts.vBias];
    for (let part = 0; part < 3; part++) {
      qkv.set(rows[part]!, (part * width + i * hd) * C);
      qkvBias.set(biases[part]!, part * width + i * hd);
    }
    for (let r = 0; r < C; r++) proj.set(parts.proj.subarray(r * hd, (r + 1) * hd), r * width + i * hd);
  }
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
