import { type GptConfig, headDim, mlpDim } from '../config.ts';
import { InvalidPieceRangeError } from '../errors.ts';

/**
 * The pieces of a model version: leaves in an order fixed by the config
 * alone, so that every exchange shard (see `gptExchanges`, `shardRanges`) is
 * one contiguous leaf range. Leaf 0 is the `base` (what a gateway computes
 * itself except wte); then per layer its `attn` leaves (one per head) and its
 * `mlp` leaves (one per c_fc row); then the `vocab` leaves (one per wte row).
 * Payload layouts are in encode.ts.
 */
export type PieceLayout = {
  readonly config: GptConfig;
  /** 1 + nLayers · (nHeads + mlpDim) + vocabSize. */
  readonly leafCount: number;
};

/** Where a leaf sits in the model: the base, head `unit` of a layer, c_fc row `unit` of a layer, or wte row `unit`. */
export type LeafLocation =
  | { readonly kind: 'base' }
  | { readonly kind: 'attn' | 'mlp'; readonly layer: number; readonly unit: number }
  | { readonly kind: 'vocab'; readonly unit: number };

/** The index of the base leaf. */
export const BASE_LEAF = 0;

/** The piece layout of a config. */
export function pieceLayout(config: GptConfig): PieceLayout {
  return { config, leafCount: 1 + config.nLayers * layerLeaves(config) + config.vocabSize };
}

/** Leaves [start, end) of heads [headStart, headEnd) of a layer; InvalidPieceRangeError outside the model. */
export function attnLeaves(
  layout: PieceLayout,
  layer: number,
  headStart: number,
  headEnd: number,
): [number, number] {
  const { config } = layout;
  checkUnits('layer', layer, layer + 1, config.nLayers);
  checkUnits(`h.${layer}.attn heads`, headStart, headEnd, config.nHeads);
  const first = 1 + layer * layerLeaves(config);
  return [first + headStart, first + headEnd];
}

/** Leaves [start, end) of c_fc rows [rowStart, rowEnd) of a layer; InvalidPieceRangeError outside the model. */
export function mlpLeaves(
  layout: PieceLayout,
  layer: number,
  rowStart: number,
  rowEnd: number,
): [number, number] {
  const { config } = layout;
  checkUnits('layer', layer, layer + 1, config.nLayers);
  checkUnits(`h.${layer}.mlp rows`, rowStart, rowEnd, mlpDim(config));
  const first = 1 + layer * layerLeaves(config) + config.nHeads;
  return [first + rowStart, first + rowEnd];
}

/** Leaves [start, end) of vocabulary rows [rowStart, rowEnd) of wte; InvalidPieceRangeError outside the model. */
export function vocabLeaves(layout: PieceLayout, rowStart: number, rowEnd: number): [number, number] {
  const { config } = layout;
  checkUnits('vocabulary rows', rowStart, rowEnd, config.vocabSize);
  const first = 1 + config.nLayers * layerLeaves(config);
  return [first + rowStart, first + rowEnd];
}

/** Which part of the model leaf `index` holds; InvalidPieceRangeError outside [0, leafCount). */
export function locateLeaf(layout: PieceLayout, index: number): LeafLocation {
  checkLeafRange(layout, index, index + 1);
  if (index === BASE_LEAF) return { kind: 'base' };
  const { config } = layout;
  const perLayer = layerLeaves(config);
  const i = index - 1;
  const layer = Math.floor(i / perLayer);
  if (layer >= config.nLayers) return { kind: 'vocab', unit: i - config.nLayers * perLayer };
  const unit = i - layer * perLayer;
  return unit < config.nHeads
    ? { kind: 'attn', layer, unit }
    : { kind: 'mlp', layer, unit: unit - config.nHeads };
}

/** Floats in the base leaf: wpe, per layer ln_1 (2C), attn.c_proj.bias, ln_2 (2C), mlp.c_proj.bias, then ln_f (2C). */
export function baseFloats(config: GptConfig): number {
  const C = config.dModel;
  return config.contextLength * C + config.nLayers * 6 * C + 2 * C;
}

/** Floats in one leaf of a kind other than the base: attn hd·(4C + 3), mlp 2C + 1, vocab C. */
export function leafFloats(config: GptConfig, kind: 'attn' | 'mlp' | 'vocab'): number {
  const C = config.dModel;
  if (kind === 'attn') return headDim(config) * (4 * C + 3);
  return kind === 'mlp' ? 2 * C + 1 : C;
}

/**
 * Payload bytes of leaves [start, end). The base leaf counts its u32 length
 * prefix and its tensors, not its JSON header (whose length depends on the
 * metadata, not on the config). InvalidPieceRangeError outside the layout.
 */
export function pieceBytes(layout: PieceLayout, start: number, end: number): number {
  checkLeafRange(layout, start, end);
  const { config } = layout;
  const count = (from: number, to: number) => Math.max(0, Math.min(end, to) - Math.max(start, from));
  let floats = count(0, 1) * (1 + baseFloats(config)); // the u32 length prefix counts as one float
  for (let l = 0; l < config.nLayers; l++) {
    const [a, b] = attnLeaves(layout, l, 0, config.nHeads);
    const [, c] = mlpLeaves(layout, l, 0, mlpDim(config));
    floats += count(a, b) * leafFloats(config, 'attn') + count(b, c) * leafFloats(config, 'mlp');
  }
  const [v, w] = vocabLeaves(layout, 0, config.vocabSize);
  floats += count(v, w) * leafFloats(config, 'vocab');
  return 4 * floats;
}

/** Throws InvalidPieceRangeError unless [start, end) is a non-empty range of the layout's leaves. */
export function checkLeafRange(layout: PieceLayout, start: number, end: number): void {
  checkUnits('leaves', start, end, layout.leafCount);
}

function layerLeaves(config: GptConfig): number {
  return config.nHeads + mlpDim(config);
}

function checkUnits(what: string, start: number, end: number, limit: number): void {
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(end) ||
    start < 0 ||
    start >= end ||
    end > limit
  ) {
    throw new InvalidPieceRangeError(
      `${what} [${start}, ${end}) is not a non-empty range inside [0, ${limit})`,
    );
  }
}
