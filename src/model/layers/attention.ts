import {
  causalAttention,
  linear,
  matmul,
  matmulTransA,
  softmax,
  softmaxBackward,
} from '../../tensor/index.ts';
import { type GptConfig, headDim } from '../config.ts';

/**
 * Causal multi-head self-attention on per-head buffers. Heads are stored
 * `(nHeads, rows, headDim)` so that every head's keys and values are
 * contiguous rows; q is pre-multiplied by 1/sqrt(headDim) when it is split out
 * of c_attn's output, so a score is one canonical dot.
 *
 * Query row t attends to exactly the t+1 keys 0..t: its scores are canonical
 * dots (the same bits whether `linear` computes one row or all T), its softmax
 * runs over exactly t+1 values and its output is one `matmul` over exactly t+1
 * values, in the full forward and in the KV-cache decoder (`attendRow`)
 * alike, so incremental decoding reproduces the full forward bit for bit.
 */

/** 1/sqrt(headDim) in f32: q is multiplied by it before the score dot products. */
export function attentionScale(config: GptConfig): number {
  return headScale(headDim(config));
}

/** 1/sqrt(headDim) in f32 for heads of `headDim` (what `attentionScale` gives for a config). */
export function headScale(headDim: number): number {
  return Math.fround(1 / Math.sqrt(headDim));
}

/** Where split-out keys and values go: per-head buffers of `capacity` rows, written from row `offset`. */
export type KvTarget = {
  readonly k: Float32Array; // (nHeads, capacity, headDim)
  readonly v: Float32Array; // (nHeads, capacity, headDim)
  readonly capacity: number;
  readonly offset: number;
};

/**
 * Splits c_attn's output (rows, 3C) into q (nHeads, rows, headDim), scaled by
 * qScale in f32, and k, v written into `kv` at rows offset..offset+rows.
 */
export function splitHeads(
  qkv: Float32Array, // (rows, 3C)
  rows: number,
  nHeads: number,
  headDim: number,
  qScale: number,
  q: Float32Array, // (nHeads, rows, headDim)
  kv: KvTarget,
): void {
  const C = nHeads * headDim;
  const s = Math.fround(qScale);
  for (let t = 0; t < rows; t++) {
    const src = t * 3 * C;
    for (let h = 0; h < nHeads; h++) {
      const qDst = (h * rows + t) * headDim;
      const kvDst = (h * kv.capacity + kv.offset + t) * headDim;
      const col = h * headDim;
      for (let d = 0; d < headDim; d++) {
        q[qDst + d] = Math.fround((qkv[src + col + d] as number) * s);
        kv.k[kvDst + d] = qkv[src + C + col + d] as number;
        kv.v[kvDst + d] = qkv[src + 2 * C + col + d] as number;
      }
    }
  }
}

/**
 * One query row against its first n keys/values: probs = softmax(q · kⱼ) for
 * j < n, out = Σ probs[j] vⱼ. `scores` is scratch of at least n elements.
 */
export function attendRow(
  q: Float32Array, // (headDim)
  keys: Float32Array, // (≥n, headDim), first n rows used
  values: Float32Array, // (≥n, headDim), first n rows used
  n: number,
  headDim: number,
  scores: Float32Array, // (≥n) scratch
  probs: Float32Array, // (n)
  out: Float32Array, // (headDim)
): void {
  const s = scores.subarray(0, n);
  const kRows = keys.subarray(0, n * headDim);
  linear(q, kRows, null, 1, headDim, n, s); // (n)
  softmax(s, 1, n, probs); // (n)
  matmul(probs, values.subarray(0, n * headDim), 1, n, headDim, out); // (headDim)
}

/** The shape of one sequence's attention: T rows, nHeads heads of headDim. */
export type AttentionDims = { readonly T: number; readonly nHeads: number; readonly headDim: number };

/** One sequence's per-head queries, keys and values, each (nHeads, T, headDim). */
export type HeadTensors = { readonly q: Float32Array; readonly k: Float32Array; readonly v: Float32Array };

/** Scratch buffers of attentionForward, each allocated once per workspace. */
export type AttentionForwardScratch = {
  readonly scores: Float32Array; // (T, T)
  readonly yHead: Float32Array; // (T, headDim)
};

/**
 * Causal attention of one sequence of T rows. Per head, one `linear` computes
 * every score q_t · k_j (T, T) — each a canonical dot, so bit-equal to the
 * t+1 scores `attendRow` computes for row t; then `causalAttention` takes each
 * row's softmax over its first t+1 scores and the product with values 0..t
 * exactly as `attendRow` does. probs (nHeads, T, T) receives the attention
 * weights (zeros above the diagonal); y (T, C) the heads' outputs side by side.
 */
export function attentionForward(
  { q, k, v }: HeadTensors,
  { T, nHeads, headDim }: AttentionDims,
  probs: Float32Array, // (nHeads, T, T)
  y: Float32Array, // (T, C)
  { scores, yHead }: AttentionForwardScratch,
): void {
  const C = nHeads * headDim;
  const hs = T * headDim;
  for (let h = 0; h < nHeads; h++) {
    const head = (a: Float32Array) => a.subarray(h * hs, (h + 1) * hs); // (T, headDim)
    linear(head(q), head(k), null, T, headDim, T, scores); // (T, T), upper triangle unused
    causalAttention(scores, head(v), T, headDim, probs.subarray(h * T * T, (h + 1) * T * T), yHead);
    for (let t = 0; t < T; t++) {
      y.set(yHead.subarray(t * headDim, (t + 1) * headDim), t * C + h * headDim);
    }
  }
}

/** Scratch buffers of attentionBackward, each allocated once per workspace. */
export type AttentionBackwardScratch = {
  readonly dyHead: Float32Array; // (T, headDim)
  readonly dProbs: Float32Array; // (T, T)
  readonly dScores: Float32Array; // (T, T)
};

/**
 * Gradient of attentionForward for one sequence: from dy (T, C) and the saved
 * q, k, v, probs, writes the gradients of q, k, v into `grads` — dq with
 * respect to the scaled q. Uses dP = dY Vᵀ, dV = Pᵀ dY, dS = softmax'(P, dP),
 * dQ = dS K, dK = dSᵀ Q.
 */
export function attentionBackward(
  dy: Float32Array, // (T, C)
  saved: HeadTensors,
  probs: Float32Array, // (nHeads, T, T), zero above the diagonal
  { T, nHeads, headDim }: AttentionDims,
  grads: HeadTensors,
  scratch: AttentionBackwardScratch,
): void {
  const C = nHeads * headDim;
  const hs = T * headDim;
  const { dyHead, dProbs, dScores } = scratch;
  for (let h = 0; h < nHeads; h++) {
    for (let t = 0; t < T; t++) {
      dyHead.set(dy.subarray(t * C + h * headDim, t * C + (h + 1) * headDim), t * headDim);
    }
    const head = (a: Float32Array) => a.subarray(h * hs, (h + 1) * hs); // (T, headDim)
    const ph = probs.subarray(h * T * T, (h + 1) * T * T); // (T, T)
    linear(dyHead, head(saved.v), null, T, headDim, T, dProbs); // (T, T): dP[t][j] = dy_t · v_j
    matmulTransA(ph, dyHead, T, T, headDim, head(grads.v)); // (T, headDim)
    softmaxBackward(ph, dProbs, T, T, dScores); // (T, T), zero above the diagonal
    matmul(dScores, head(saved.k), T, T, headDim, head(grads.q)); // (T, headDim)
    matmulTransA(dScores, head(saved.q), T, T, headDim, head(grads.k)); // (T, headDim)
  }
}

/**
 * Gathers per-head gradients back into c_attn's output layout (rows, 3C);
 * dq is multiplied by qScale (the chain rule through q's pre-scaling).
 */
export function mergeHeadGrads(
  { q: dq, k: dk, v: dv }: HeadTensors,
  { T: rows, nHeads, headDim }: AttentionDims,
  qScale: number,
  dqkv: Float32Array, // (rows, 3C)
): void {
  const C = nHeads * headDim;
  const s = Math.fround(qScale);
  for (let t = 0; t < rows; t++) {
    const dst = t * 3 * C;
    for (let h = 0; h < nHeads; h++) {
      const src = (h * rows + t) * headDim;
      const col = h * headDim;
      for (let d = 0; d < headDim; d++) {
        dqkv[dst + col + d] = Math.fround((dq[src + d] as number) * s);
        dqkv[dst + C + col + d] = dk[src + d] as number;
        dqkv[dst + 2 * C + col + d] = dv[src + d] as number;
      }
    }
  }
}
