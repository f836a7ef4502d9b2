import { checkRows } from '../checks.ts';
import { expF32 } from '../math.ts';
import { dotAt, sumStridedAt } from './dot.ts';

const fround = Math.fround;

/**
 * Row-wise softmax of x (rows, cols): m = max of the row; e = exp(x - m) with
 * Concord's exp; out = e / sum(e) (canonical sum, one f32 division per
 * element). out may alias x. TypeScript reference.
 */
export function softmax(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  checkRows('softmax', rows, cols, x, out);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < cols; c++) {
      m = Math.max(m, x[o + c]!);
    }
    for (let c = 0; c < cols; c++) out[o + c] = expF32(fround(x[o + c]! - m));
    const s = sumStridedAt(out, o, 1, cols);
    for (let c = 0; c < cols; c++) out[o + c] = fround(out[o + c]! / s);
  }
}

/**
 * Gradient of softmax per row, from its output y and the output gradient dy:
 * dx = y * (dy - dot(dy, y)). dx may alias dy. TypeScript reference.
 */
export function softmaxBackward(
  y: Float32Array,
  dy: Float32Array,
  rows: number,
  cols: number,
  dx: Float32Array,
): void {
  checkRows('softmaxBackward', rows, cols, y, dy, dx);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const s = dotAt(dy, o, y, o, cols);
    for (let c = 0; c < cols; c++) dx[o + c] = fround(y[o + c]! * fround(dy[o + c]! - s));
  }
}
