import {
  checkCausalAttention,
  checkDim,
  checkLayerNorm,
  checkLayerNormBackward,
  checkLength,
  checkLinear,
  checkMatmul,
  checkRows,
  checkSameLength,
} from '../checks.ts';
import { KernelMemoryFreeError } from '../errors.ts';
import type { KernelExports } from './module.ts';
import { kernelRuntime } from './runtime.ts';

/**
 * The WebAssembly SIMD kernels: same signatures, checks and bits as the
 * TypeScript reference (../ts/). Arrays from allocF32 are used in place;
 * any other Float32Array is copied into kernel memory and back.
 */

/** Stages `inputs` and `outputs`, runs `fn` with the exports and their pointers, copies outputs back. */
function call(
  inputs: readonly (Float32Array | null)[],
  outputs: readonly Float32Array[],
  fn: (k: KernelExports, ptrs: number[]) => void,
): void {
  const rt = kernelRuntime();
  const staged = rt.staging.stage(inputs, outputs);
  fn(rt.exports, staged.ptrs);
  staged.finish();
}

/** A Float32Array of n zeros inside kernel memory: kernels read and write it without copying. */
export function allocF32(n: number): Float32Array {
  const { heap } = kernelRuntime();
  checkDim('allocF32', 'n', n);
  const ptr = heap.allocate(n * 4);
  const view = heap.view(ptr, n);
  view.fill(0);
  return view;
}

/** Returns an array from allocF32 to kernel memory; throws KernelMemoryFreeError if it did not come from there. */
export function freeF32(arr: Float32Array): void {
  const { heap } = kernelRuntime();
  const ptr = heap.pointerOf(arr);
  if (ptr < 0) throw new KernelMemoryFreeError();
  heap.release(ptr);
}

/** True if arr lives in kernel memory (from allocF32, or a subarray of one). */
export function isKernelResident(arr: Float32Array): boolean {
  return kernelRuntime().heap.pointerOf(arr) >= 0;
}

/** Canonical dot of two equal-length vectors. */
export function dot(a: Float32Array, b: Float32Array): number {
  checkSameLength('dot', a, b);
  let s = 0;
  call([a, b], [], (k, [pa, pb]) => {
    s = k.dot(pa!, pb!, a.length);
  });
  return s;
}

/** Canonical sum of all elements. */
export function sum(x: Float32Array): number {
  checkLength('sum', 'x', x, x.length);
  let s = 0;
  call([x], [], (k, [p]) => {
    s = k.sum(p!, x.length);
  });
  return s;
}

/** out[t*outDim + i] = dot(w row i, x row t) (+ bias[i]); W stored (outDim, inDim). */
export function linear(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  T: number,
  inDim: number,
  outDim: number,
  out: Float32Array,
): void {
  checkLinear('linear', x, w, bias, T, inDim, outDim, out);
  call([x, w, bias], [out], (k, [px, pw, pb, po]) =>
    k.linear(px!, pw!, pb!, T, inDim, outDim, po!, 0, outDim),
  );
}

/** y = W x for W (rows, cols). */
export function matvec(
  w: Float32Array,
  x: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
): void {
  checkLinear('matvec', x, w, null, 1, cols, rows, out);
  call([x, w], [out], (k, [px, pw, po]) => k.linear(px!, pw!, 0, 1, cols, rows, po!, 0, rows));
}

/** out (m, n) = A (m, k) · B (k, n), B transposed into kernel scratch first. */
export function matmul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  out: Float32Array,
): void {
  checkMatmul('matmul', a, b, m, k, n, out);
  const { heap } = kernelRuntime();
  call([a, b], [out], (ex, [pa, pb, po]) => {
    const bt = heap.allocate(n * k * 4);
    ex.transpose(pb!, k, n, bt);
    ex.linear(pa!, bt, 0, m, k, n, po!, 0, n);
    heap.release(bt);
  });
}

/** out (m, n) = Aᵀ · B with A stored (k, m) and B (k, n); both transposed into kernel scratch first. */
export function matmulTransA(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  out: Float32Array,
): void {
  checkMatmul('matmulTransA', a, b, m, k, n, out);
  const { heap } = kernelRuntime();
  call([a, b], [out], (ex, [pa, pb, po]) => {
    const at = heap.allocate((m + n) * k * 4);
    const bt = at + m * k * 4;
    ex.transpose(pa!, k, m, at);
    ex.transpose(pb!, k, n, bt);
    ex.linear(at, bt, 0, m, k, n, po!, 0, n);
    heap.release(at);
  });
}

/** Causal attention of one head: probs = row-wise causal softmax of scores (zeros above the diagonal), y = probs · v. */
export function causalAttention(
  scores: Float32Array,
  v: Float32Array,
  T: number,
  headDim: number,
  probs: Float32Array,
  y: Float32Array,
): void {
  checkCausalAttention(scores, v, T, headDim, probs, y);
  const { heap } = kernelRuntime();
  call([scores, v], [probs, y], (ex, [ps, pv, pp, py]) => {
    const vt = heap.allocate(T * headDim * 4);
    ex.transpose(pv!, T, headDim, vt);
    ex.causalAttention(ps!, vt, T, headDim, pp!, py!);
    heap.release(vt);
  });
}

/** out[c] = canonical sum over rows of x[r, c]. */
export function sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  checkRows('sumRows', rows, cols, x);
  checkLength('sumRows', 'out', out, cols);
  call([x], [out], (k, [px, po]) => k.sumRows(px!, rows, cols, po!));
}

/** out = a + b elementwise. */
export function add(a: Float32Array, b: Float32Array, out: Float32Array): void {
  checkSameLength('add', a, b, out);
  call([a, b], [out], (k, [pa, pb, po]) => k.add(pa!, pb!, po!, a.length));
}

/** out = a * b elementwise. */
export function mul(a: Float32Array, b: Float32Array, out: Float32Array): void {
  checkSameLength('mul', a, b, out);
  call([a, b], [out], (k, [pa, pb, po]) => k.mul(pa!, pb!, po!, a.length));
}

/** out = a * s (s rounded to f32). */
export function scale(a: Float32Array, s: number, out: Float32Array): void {
  checkSameLength('scale', a, out);
  call([a], [out], (k, [pa, po]) => k.scale(pa!, Math.fround(s), po!, a.length));
}

/** out = Concord's exp(x). */
export function exp(x: Float32Array, out: Float32Array): void {
  checkSameLength('exp', x, out);
  call([x], [out], (k, [px, po]) => k.exp(px!, po!, x.length));
}

/** out = Concord's log(x). */
export function log(x: Float32Array, out: Float32Array): void {
  checkSameLength('log', x, out);
  call([x], [out], (k, [px, po]) => k.log(px!, po!, x.length));
}

/** out = Concord's tanh(x). */
export function tanh(x: Float32Array, out: Float32Array): void {
  checkSameLength('tanh', x, out);
  call([x], [out], (k, [px, po]) => k.tanh(px!, po!, x.length));
}

/** GPT-2's tanh GELU. */
export function gelu(x: Float32Array, out: Float32Array): void {
  checkSameLength('gelu', x, out);
  call([x], [out], (k, [px, po]) => k.gelu(px!, po!, x.length));
}

/** Gradient of gelu (dx overwritten). */
export function geluBackward(x: Float32Array, dout: Float32Array, dx: Float32Array): void {
  checkSameLength('geluBackward', x, dout, dx);
  call([x, dout], [dx], (k, [px, pd, po]) => k.geluBackward(px!, pd!, po!, x.length));
}

/** Row-wise softmax with Concord's exp. */
export function softmax(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  checkRows('softmax', rows, cols, x, out);
  call([x], [out], (k, [px, po]) => k.softmax(px!, rows, cols, po!));
}

/** Gradient of softmax: dx = y * (dy - dot(dy, y)) per row. */
export function softmaxBackward(
  y: Float32Array,
  dy: Float32Array,
  rows: number,
  cols: number,
  dx: Float32Array,
): void {
  checkRows('softmaxBackward', rows, cols, y, dy, dx);
  call([y, dy], [dx], (k, [py, pd, po]) => k.softmaxBackward(py!, pd!, rows, cols, po!));
}

/** Layer norm over rows of x (T, C); optional mean and rstd outputs (T). */
export function layerNorm(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  T: number,
  C: number,
  eps: number,
  out: Float32Array,
  meanOut?: Float32Array,
  rstdOut?: Float32Array,
): void {
  checkLayerNorm(x, gamma, beta, T, C, out, meanOut, rstdOut);
  const outputs = [out, ...(meanOut ? [meanOut] : []), ...(rstdOut ? [rstdOut] : [])];
  call([x, gamma, beta], outputs, (k, [px, pg, pb, po, ...stats]) => {
    const pm = meanOut ? stats.shift()! : 0;
    const pr = rstdOut ? stats.shift()! : 0;
    k.layerNorm(px!, pg!, pb!, T, C, Math.fround(eps), po!, pm, pr);
  });
}

/** Gradients of layerNorm (every output overwritten). */
export function layerNormBackward(
  dout: Float32Array,
  x: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  gamma: Float32Array,
  T: number,
  C: number,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  checkLayerNormBackward(dout, x, mean, rstd, gamma, T, C, dx, dgamma, dbeta);
  call([dout, x, mean, rstd, gamma], [dx, dgamma, dbeta], (k, [pd, px, pm, pr, pg, pdx, pdg, pdb]) =>
    k.layerNormBackward(pd!, px!, pm!, pr!, pg!, T, C, pdx!, pdg!, pdb!),
  );
}
