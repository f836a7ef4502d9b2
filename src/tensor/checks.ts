import { TensorShapeError } from './errors.ts';

/**
 * Argument checks shared by the TypeScript and WebAssembly kernels, so both
 * reject exactly the same calls with the same named errors. Values are not
 * scanned here (that would cost as much as the kernel); see assertFinite.
 */

/** Throws TensorShapeError unless `value` is an integer >= 0. */
export function checkDim(kernel: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new TensorShapeError(kernel, name, 'an integer >= 0', String(value));
  }
}

/** Throws TensorShapeError unless `arr` has exactly `expected` elements. */
export function checkLength(kernel: string, name: string, arr: Float32Array, expected: number): void {
  if (!(arr instanceof Float32Array)) {
    throw new TensorShapeError(kernel, name, 'a Float32Array', typeof arr);
  }
  if (arr.length !== expected) {
    throw new TensorShapeError(kernel, `${name}.length`, String(expected), String(arr.length));
  }
}

/** Checks the arguments of `linear` (and of `matvec`, which is linear with T = 1). */
export function checkLinear(
  kernel: string,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  T: number,
  inDim: number,
  outDim: number,
  out: Float32Array,
): void {
  checkDim(kernel, 'T', T);
  checkDim(kernel, 'inDim', inDim);
  checkDim(kernel, 'outDim', outDim);
  checkLength(kernel, 'x', x, T * inDim);
  checkLength(kernel, 'w', w, outDim * inDim);
  if (bias !== null) checkLength(kernel, 'bias', bias, outDim);
  checkLength(kernel, 'out', out, T * outDim);
}

/** Checks `matmul(a, b, m, k, n, out)` (A is (m, k)) or, with `transA`, `matmulTransA` (A is (k, m)). */
export function checkMatmul(
  kernel: string,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  out: Float32Array,
): void {
  checkDim(kernel, 'm', m);
  checkDim(kernel, 'k', k);
  checkDim(kernel, 'n', n);
  checkLength(kernel, 'a', a, m * k);
  checkLength(kernel, 'b', b, k * n);
  checkLength(kernel, 'out', out, m * n);
}

/** Checks a kernel that maps arrays of one common length elementwise. */
export function checkSameLength(kernel: string, first: Float32Array, ...rest: Float32Array[]): void {
  checkLength(kernel, 'input', first, first.length);
  for (const [i, arr] of rest.entries()) checkLength(kernel, `argument ${i + 2}`, arr, first.length);
}

/** Checks a row-wise kernel over `rows` rows of `cols` elements: every array is (rows, cols). */
export function checkRows(kernel: string, rows: number, cols: number, ...arrays: Float32Array[]): void {
  checkDim(kernel, 'rows', rows);
  checkDim(kernel, 'cols', cols);
  for (const [i, arr] of arrays.entries()) checkLength(kernel, `argument ${i + 1}`, arr, rows * cols);
}

/** Checks causalAttention: scores and probs (T, T), v and y (T, headDim). */
export function checkCausalAttention(
  scores: Float32Array,
  v: Float32Array,
  T: number,
  headDim: number,
  probs: Float32Array,
  y: Float32Array,
): void {
  const kernel = 'causalAttention';
  checkDim(kernel, 'T', T);
  checkDim(kernel, 'headDim', headDim);
  checkLength(kernel, 'scores', scores, T * T);
  checkLength(kernel, 'v', v, T * headDim);
  checkLength(kernel, 'probs', probs, T * T);
  checkLength(kernel, 'y', y, T * headDim);
}

/** Checks layerNorm: x and out (T, C) with C >= 1, gamma and beta (C), optional statistics (T). */
export function checkLayerNorm(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  T: number,
  C: number,
  out: Float32Array,
  meanOut: Float32Array | undefined,
  rstdOut: Float32Array | undefined,
): void {
  checkDim('layerNorm', 'T', T);
  if (!Number.isInteger(C) || C < 1)
    throw new TensorShapeError('layerNorm', 'C', 'an integer >= 1', String(C));
  checkRows('layerNorm', T, C, x, out);
  checkLength('layerNorm', 'gamma', gamma, C);
  checkLength('layerNorm', 'beta', beta, C);
  if (meanOut) checkLength('layerNorm', 'meanOut', meanOut, T);
  if (rstdOut) checkLength('layerNorm', 'rstdOut', rstdOut, T);
}

/** Checks layerNormBackward: dout, x, dx (T, C) with C >= 1; mean, rstd (T); gamma, dgamma, dbeta (C). */
export function checkLayerNormBackward(
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
  const k = 'layerNormBackward';
  checkDim(k, 'T', T);
  if (!Number.isInteger(C) || C < 1) throw new TensorShapeError(k, 'C', 'an integer >= 1', String(C));
  checkRows(k, T, C, dout, x, dx);
  checkLength(k, 'mean', mean, T);
  checkLength(k, 'rstd', rstd, T);
  checkLength(k, 'gamma', gamma, C);
  checkLength(k, 'dgamma', dgamma, C);
  checkLength(k, 'dbeta', dbeta, C);
}
