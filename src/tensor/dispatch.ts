import type { KernelPool } from './pool/index.ts';
import * as ts from './ts/index.ts';
import * as wasm from './wasm/index.ts';

/**
 * The kernels callers should use: the WebAssembly SIMD path when kernels.wasm
 * is loaded and the call is big enough to repay staging, the TypeScript
 * reference otherwise. Both give identical bytes, so the choice never changes
 * a result, only its speed.
 */

/** Below this many multiply-adds (or elements) a call runs in TypeScript. */
export const WASM_MIN_WORK = 512;
/** add, mul and scale are one operation per element: WASM pays its staging only from this size on. */
export const WASM_MIN_ELEMENTWISE = 4096;

/** From this many multiply-adds on, linear/matvec/matmul/matmulTransA go to the pool set by useKernelPool. */
export const POOL_MIN_WORK = 1 << 18;

const pick = (work: number, min = WASM_MIN_WORK): typeof ts =>
  wasm.wasmAvailable && work >= min ? wasm : ts;

let defaultPool: KernelPool | null = null;

/**
 * Routes large linear, matvec, matmul and matmulTransA calls of the functions
 * below to a worker pool (null: stop). A closed pool is ignored. The bytes do
 * not change, only the number of threads doing the work.
 */
export function useKernelPool(pool: KernelPool | null): void {
  defaultPool = pool;
}

/** The pool for a call of `work` multiply-adds, if one is set, open, and the call is big enough. */
function poolFor(work: number): KernelPool | null {
  return defaultPool !== null && !defaultPool.isClosed && work >= POOL_MIN_WORK ? defaultPool : null;
}

/** Canonical dot of two equal-length vectors. */
export const dot: typeof ts.dot = (a, b) => pick(a.length).dot(a, b);
/** Canonical sum of all elements. */
export const sum: typeof ts.sum = (x) => pick(x.length).sum(x);
/** out[c] = canonical sum over rows of x[r, c]. */
export const sumRows: typeof ts.sumRows = (x, rows, cols, out) => pick(x.length).sumRows(x, rows, cols, out);
/** out[t*outDim + i] = dot(w row i, x row t) (+ bias[i]); W stored (outDim, inDim). */
export const linear: typeof ts.linear = (x, w, bias, T, inDim, outDim, out) =>
  (poolFor(T * w.length) ?? pick(T * w.length)).linear(x, w, bias, T, inDim, outDim, out);
/** y = W x for W (rows, cols). */
export const matvec: typeof ts.matvec = (w, x, rows, cols, out) =>
  (poolFor(w.length) ?? pick(w.length)).matvec(w, x, rows, cols, out);
/** out (m, n) = A (m, k) · B (k, n). */
export const matmul: typeof ts.matmul = (a, b, m, k, n, out) =>
  (poolFor(m * k * n) ?? pick(m * k * n)).matmul(a, b, m, k, n, out);
/** out (m, n) = Aᵀ · B with A stored (k, m): the weight gradient dW = dYᵀ · X. */
export const matmulTransA: typeof ts.matmulTransA = (a, b, m, k, n, out) =>
  (poolFor(m * k * n) ?? pick(m * k * n)).matmulTransA(a, b, m, k, n, out);
/** out = a + b elementwise (out may alias a or b). */
export const add: typeof ts.add = (a, b, out) => pick(a.length, WASM_MIN_ELEMENTWISE).add(a, b, out);
/** out = a * b elementwise (out may alias a or b). */
export const mul: typeof ts.mul = (a, b, out) => pick(a.length, WASM_MIN_ELEMENTWISE).mul(a, b, out);
/** out = a * s with s rounded to f32 (out may alias a). */
export const scale: typeof ts.scale = (a, s, out) => pick(a.length, WASM_MIN_ELEMENTWISE).scale(a, s, out);
/** out = Concord's exp(x) elementwise. */
export const exp: typeof ts.exp = (x, out) => pick(x.length).exp(x, out);
/** out = Concord's log(x) elementwise. */
export const log: typeof ts.log = (x, out) => pick(x.length).log(x, out);
/** out = Concord's tanh(x) elementwise. */
export const tanh: typeof ts.tanh = (x, out) => pick(x.length).tanh(x, out);
/** GPT-2's tanh-approximation GELU. */
export const gelu: typeof ts.gelu = (x, out) => pick(x.length).gelu(x, out);
/** Gradient of gelu (dx overwritten). */
export const geluBackward: typeof ts.geluBackward = (x, dout, dx) => pick(x.length).geluBackward(x, dout, dx);
/** Row-wise softmax with Concord's exp. */
export const softmax: typeof ts.softmax = (x, rows, cols, out) => pick(x.length).softmax(x, rows, cols, out);
/** Gradient of softmax from its output y: dx = y * (dy - dot(dy, y)) per row. */
export const softmaxBackward: typeof ts.softmaxBackward = (y, dy, rows, cols, dx) =>
  pick(y.length).softmaxBackward(y, dy, rows, cols, dx);
/** Causal attention of one head: probs = row-wise causal softmax of scores, y = probs · v (see ts/attention.ts). */
export const causalAttention: typeof ts.causalAttention = (scores, v, T, headDim, probs, y) =>
  pick(T * T * headDim).causalAttention(scores, v, T, headDim, probs, y);
/** Layer norm over rows of x (T, C); optional mean and rstd outputs (T). */
export const layerNorm: typeof ts.layerNorm = (x, gamma, beta, T, C, eps, out, meanOut, rstdOut) =>
  pick(x.length).layerNorm(x, gamma, beta, T, C, eps, out, meanOut, rstdOut);
/** Gradients of layerNorm: dx (T, C), dgamma and dbeta (C), all overwritten. */
export const layerNormBackward: typeof ts.layerNormBackward = (
  dout,
  x,
  mean,
  rstd,
  gamma,
  T,
  C,
  dx,
  dgamma,
  dbeta,
) => pick(x.length).layerNormBackward(dout, x, mean, rstd, gamma, T, C, dx, dgamma, dbeta);
