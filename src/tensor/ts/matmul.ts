import { checkMatmul } from '../checks.ts';
import { linearUnchecked } from './linear.ts';
import { scratchF32, transposeInto } from './scratch.ts';

/**
 * out (m, n) = A (m, k) · B (k, n): out[i*n + j] = canonical dot of A row i
 * with B column j (B is transposed into scratch first); TypeScript reference.
 */
export function matmul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  out: Float32Array,
): void {
  checkMatmul('matmul', a, b, m, k, n, out);
  const bt = scratchF32(0, n * k);
  transposeInto(b, k, n, bt);
  linearUnchecked(a, bt, null, m, k, n, out);
}

/**
 * out (m, n) = Aᵀ · B with A stored (k, m) and B (k, n): the weight gradient
 * dW = dYᵀ · X. out[i*n + j] = canonical dot over k of A column i and B column j.
 */
export function matmulTransA(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  out: Float32Array,
): void {
  checkMatmul('matmulTransA', a, b, m, k, n, out);
  const buf = scratchF32(0, (m + n) * k);
  const at = buf.subarray(0, m * k);
  const bt = buf.subarray(m * k);
  transposeInto(a, k, m, at);
  transposeInto(b, k, n, bt);
  linearUnchecked(at, bt, null, m, k, n, out);
}
