/**
 * The kernels of exchange shards, batched over T input rows (each weight is
 * read once per call, whatever T is). They make the model's own kernel calls
 * (`linear`, `splitHeads`, `attendRow`, `gelu`) on each shard's slice, so with
 * one shard per exchange, summing their outputs with `sumPartials` gives
 * GptGenerator's bits.
 */
import { attendRow, headScale, splitHeads } from '../../model/index.ts';
import { gelu, linear } from '../../tensor/index.ts';
import { ExchangeAnswerInvalidError, ExchangeRequestInvalidError } from '../errors.ts';
import type { CacheWindow } from '../exchange.ts';
import type { HeadGroupCache } from './kvCache.ts';
import { scratch } from './scratch.ts';
import type { AttnShardWeights, HeadShardWeights, MlpShardWeights } from './weights.ts';

/** The scratch slot of each intermediate. */
const SLOT = { qkv: 0, q: 1, y: 2, scores: 3, probs: 4, hidden: 5 } as const;

/**
 * An attention shard's answer for T new rows x (T, C): applies `window` to
 * the cache, computes the group's q, k, v, appends k and v at the slots after
 * the kept entries, lets row t attend to slots 0..base+t (base = kept
 * entries) and returns partial = c_proj[:, group] · y for rows
 * outFrom..T−1 ((T − outFrom) × C, no bias). Throws CacheWindowInvalidError,
 * KvCacheFullError or ExchangeRequestInvalidError before touching the cache.
 */
export function attnPartial(
  w: AttnShardWeights,
  cache: HeadGroupCache,
  x: Float32Array, // (T, C)
  T: number,
  window: CacheWindow,
  outFrom: number,
): Float32Array {
  const C = w.dModel;
  const { headDim: hd } = w;
  const g = w.headEnd - w.headStart;
  checkRows(x, T, C);
  if (!Number.isSafeInteger(outFrom) || outFrom < 0 || outFrom > T) {
    throw new ExchangeRequestInvalidError(`outFrom ${outFrom} is not a row of the ${T} new rows.`);
  }
  if (cache.heads !== g || cache.headDim !== hd) {
    throw new ExchangeRequestInvalidError(
      `A cache of ${cache.heads} heads of ${cache.headDim} cannot serve ${g} of ${hd}.`,
    );
  }
  cache.checkAppend(window, T);
  cache.applyWindow(window);
  const base = cache.length;
  const qkv = scratch(SLOT.qkv, T * 3 * g * hd);
  linear(x, w.qkv, w.qkvBias, T, C, 3 * g * hd, qkv); // (T, 3·g·hd): the group's q, k, v side by side
  const q = scratch(SLOT.q, g * T * hd); // (g, T, hd)
  const kv = cache.append(T);
  splitHeads(qkv, T, g, hd, headScale(hd), q, kv);
  const R = T - outFrom;
  const y = scratch(SLOT.y, R * g * hd); // (R, g·hd): the heads' outputs side by side
  const scores = scratch(SLOT.scores, base + T);
  const probs = scratch(SLOT.probs, base + T);
  const hs = cache.capacity * hd;
  for (let t = outFrom; t < T; t++) {
    const n = base + t + 1;
    for (let h = 0; h < g; h++) {
      const qh = q.subarray((h * T + t) * hd, (h * T + t + 1) * hd);
      const yh = y.subarray(((t - outFrom) * g + h) * hd, ((t - outFrom) * g + h + 1) * hd);
      const keys = kv.k.subarray(h * hs, (h + 1) * hs);
      const values = kv.v.subarray(h * hs, (h + 1) * hs);
      attendRow(qh, keys, values, n, hd, scores, probs.subarray(0, n), yh);
    }
  }
  const partial = new Float32Array(R * C);
  if (R > 0) linear(y, w.proj, null, R, g * hd, C, partial); // (R, C)
  return partial;
}

/** An MLP shard's answer for x (T, C): c_proj[:, rows] · gelu(c_fc[rows] x + b), (T × C), no bias. */
export function mlpPartial(w: MlpShardWeights, x: Float32Array, T: number): Float32Array {
  const C = w.dModel;
  const n = w.rowEnd - w.rowStart;
  checkRows(x, T, C);
  const h = scratch(SLOT.hidden, T * n);
  linear(x, w.fc, w.fcBias, T, C, n, h); // (T, n)
  gelu(h, h); // (T, n)
  const partial = new Float32Array(T * C);
  linear(h, w.proj, null, T, n, C, partial); // (T, C)
  return partial;
}

/** An output-head shard's answer for x (T, C): the logits of its vocabulary rows, (T × n). */
export function headLogits(w: HeadShardWeights, x: Float32Array, T: number): Float32Array {
  const C = w.dModel;
  const n = w.rowEnd - w.rowStart;
  checkRows(x, T, C);
  const logits = new Float32Array(T * n);
  linear(x, w.weight, null, T, C, n, logits); // (T, n)
  return logits;
}

/**
 * The canonical sum of an exchange's partials: out[i] = ((p0[i] + p1[i]) +
 * p2[i] …) + bias[i mod C], each add rounded to f32, in shard order (bias
 * null: no bias). With one partial this is exactly `linear`'s dot + bias.
 * Throws ExchangeAnswerInvalidError when a partial's size differs from out's.
 */
export function sumPartials(
  partials: readonly Float32Array[],
  bias: Float32Array | null,
  out: Float32Array, // (rows, C)
): void {
  const first = partials[0];
  if (!first || partials.some((p) => p.length !== out.length) || (bias && out.length % bias.length !== 0)) {
    throw new ExchangeAnswerInvalidError(
      `Partials of sizes [${partials.map((p) => p.length).join(', ')}] do not sum into ${out.length} floats.`,
    );
  }
  const fround = Math.fround;
  out.set(first);
  for (let s = 1; s < partials.length; s++) {
    const p = partials[s]!;
    for (let i = 0; i < out.length; i++) out[i] = fround(out[i]! + p[i]!);
  }
  if (bias) {
    const C = bias.length;
    for (let row = 0; row < out.length; row += C) {
      for (let c = 0; c < C; c++) out[row + c] = fround(out[row + c]! + bias[c]!);
    }
  }
}

/** Throws ExchangeRequestInvalidError unless x holds T ≥ 1 rows of width C. */
function checkRows(x: Float32Array, T: number, C: number): void {
  if (!Number.isSafeInteger(T) || T < 1 || x.length !== T * C) {
    throw new ExchangeRequestInvalidError(`${x.length} floats are not ${T} rows of ${C}.`, {
      hint: 'Send T >= 1 input rows of width dModel, row after row.',
    });
  }
}
