import type { GptConfig } from '../model/index.ts';
import { mlpDim } from '../model/index.ts';
import { CacheWindowInvalidError } from './errors.ts';

/**
 * The exchanges of a decoding step in the second version of distributed
 * inference: per layer one `attn` exchange (a shard is a group of heads: its
 * query/key/value rows of c_attn, its KV cache, and the matching columns of
 * the attention output projection, answering a partial sum of width C) and one
 * `mlp` exchange (a shard is a slice of c_fc's rows and the matching columns
 * of the MLP output projection, answering a partial sum of width C), then the
 * row-sharded output head `lm_head` (a shard answers its rows of the logits).
 */
export type ExchangeKind = 'attn' | 'mlp' | 'lm_head';

/** One exchange as planned: its name, layer, kind, the units its shards are cut from, and its input width. */
export type ExchangeSpec = {
  /** `h.{layer}.attn`, `h.{layer}.mlp`, or `wte.weight` for the tied output head. */
  readonly name: string;
  /** Block index, or -1 for the output head. */
  readonly layer: number;
  readonly matrix: ExchangeKind;
  /** Units cut into shards: heads (attn), c_fc rows (mlp), vocabulary rows (lm_head). */
  readonly rows: number;
  /** Width of the input rows (dModel). */
  readonly cols: number;
};

/**
 * Every exchange of a GPT decoding step, in order, as the planner cuts them:
 * `rows` counts the units a shard range is taken from (heads for `attn`,
 * c_fc rows for `mlp`, vocabulary rows for `lm_head`), `cols` the width of the
 * input rows (dModel). Names: `h.{layer}.attn`, `h.{layer}.mlp`, `wte.weight`.
 */
export function gptExchanges(config: GptConfig): ExchangeSpec[] {
  const C = config.dModel;
  const out: ExchangeSpec[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    out.push({ name: `h.${l}.attn`, layer: l, matrix: 'attn', rows: config.nHeads, cols: C });
    out.push({ name: `h.${l}.mlp`, layer: l, matrix: 'mlp', rows: mlpDim(config), cols: C });
  }
  out.push({ name: 'wte.weight', layer: -1, matrix: 'lm_head', rows: config.vocabSize, cols: C });
  return out;
}

/**
 * What a host's attention cache does before the new rows are appended: keep
 * entries `[keepFrom, keepTo)` of its current cache (in order, at slots
 * 0..keepTo-keepFrom-1), dropping the rest. Appending after the whole cache is
 * `{ keepFrom: 0, keepTo: length }`; a speculative rollback keeps a prefix; a
 * sliding window drops the oldest entries; a host joining mid-session starts
 * from `{ 0, 0 }` and is sent the whole window as new rows.
 */
export type CacheWindow = { readonly keepFrom: number; readonly keepTo: number };

/**
 * One exchange of one session, as the decode loop asks it of a backend:
 * `rows` input rows of width C in `x` (row-major), and for `attn` the cache
 * operation before they are appended and the first of them whose output is
 * wanted (`outFrom`; earlier rows only fill the cache). The token positions of
 * the new rows are `keepTo - keepFrom` onward.
 */
export type ExchangeRequest = {
  readonly kind: ExchangeKind;
  /** Block index, or -1 for the output head. */
  readonly layer: number;
  /** Exchange name as planned (`gptExchanges`). */
  readonly name: string;
  readonly rows: number;
  readonly x: Float32Array;
  /** Attention only (ignored otherwise). */
  readonly window: CacheWindow;
  /** Attention only: output rows are rows outFrom..rows-1 (0 otherwise). */
  readonly outFrom: number;
};

/**
 * Computes one exchange: resolves to one output per shard of the exchange, in
 * shard order — for `attn` and `mlp` a partial sum ((rows − outFrom) × C,
 * without the projection's bias), for `lm_head` the shard's logit columns
 * (rows × shard rows). The decode loop sums partials in shard order (the
 * plan's canonical order) and adds the bias, so every backend that returns the
 * exact bits of the shard kernels gives the same tokens.
 */
export type ExchangeBackend = (request: ExchangeRequest) => Promise<readonly Float32Array[]>;

/** Throws CacheWindowInvalidError unless 0 <= keepFrom <= keepTo <= length (integers): the window fits a cache of `length` entries. */
export function checkWindow(window: CacheWindow, length: number): void {
  const { keepFrom, keepTo } = window;
  if (
    !Number.isSafeInteger(keepFrom) ||
    !Number.isSafeInteger(keepTo) ||
    keepFrom < 0 ||
    keepFrom > keepTo ||
    keepTo > length
  ) {
    throw new CacheWindowInvalidError(
      `Cache window [${keepFrom}, ${keepTo}) does not fit a cache of ${length} entries.`,
      { hint: 'keepFrom and keepTo are integers with 0 <= keepFrom <= keepTo <= the entries held.' },
    );
  }
}

/** The key a host files an exchange shard under, and a gateway names a shard's attention window by. */
export function exchangeShardKey(layer: number, matrix: ExchangeKind, shard: number): string {
  return `${layer}/${matrix}/${shard}`;
}
