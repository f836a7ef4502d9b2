import { checkLength, checkRows, checkSameLength } from '../checks.ts';
import { dotAt, sumStridedAt } from './dot.ts';

/** Canonical dot of two equal-length vectors, as an f32 value. */
export function dot(a: Float32Array, b: Float32Array): number {
  checkSameLength('dot', a, b);
  return dotAt(a, 0, b, 0, a.length);
}

/** Canonical sum of all elements of x (the canonical dot with ones), as an f32 value. */
export function sum(x: Float32Array): number {
  checkLength('sum', 'x', x, x.length);
  return sumStridedAt(x, 0, 1, x.length);
}

/**
 * out[c] = canonical sum over r of x[r*cols + c] for x (rows, cols): adds the
 * rows together, e.g. the bias gradient from (T, C) output gradients.
 */
export function sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  checkRows('sumRows', rows, cols, x);
  checkLength('sumRows', 'out', out, cols);
  sumRowsUnchecked(x, rows, cols, out);
}

/** sumRows without argument checks. */
export function sumRowsUnchecked(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let c = 0; c < cols; c++) out[c] = sumStridedAt(x, c, cols, rows);
}
