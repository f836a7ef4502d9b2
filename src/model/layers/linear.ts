import { matmul, matmulTransA, sumRows } from '../../tensor/index.ts';

/**
 * Gradients of y = x Wᵀ + b for W `(outDim, inDim)` over `rows` rows:
 * dW = dYᵀ X, db = column sums of dY (both overwritten), and, when dx is
 * given, dX = dY W (overwritten).
 */
export function linearBackward(
  dy: Float32Array, // (rows, outDim)
  x: Float32Array, // (rows, inDim)
  w: Float32Array, // (outDim, inDim)
  rows: number,
  inDim: number,
  outDim: number,
  dw: Float32Array, // (outDim, inDim)
  db: Float32Array | null, // (outDim)
  dx: Float32Array | null, // (rows, inDim)
): void {
  matmulTransA(dy, x, outDim, rows, inDim, dw);
  if (db) sumRows(dy, rows, outDim, db);
  if (dx) matmul(dy, w, rows, outDim, inDim, dx);
}
