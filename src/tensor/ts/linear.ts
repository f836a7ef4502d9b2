import { checkLinear } from '../checks.ts';
import { dotAt } from './dot.ts';

const fround = Math.fround;

/**
 * out[t*outDim + i] = dot(w row i, x row t) (+ bias[i] as one f32 add), with
 * W stored (outDim, inDim), one row per output; TypeScript reference.
 */
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
  linearUnchecked(x, w, bias, T, inDim, outDim, out);
}

/** y = W x for W (rows, cols): linear with T = 1 and no bias; TypeScript reference. */
export function matvec(
  w: Float32Array,
  x: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
): void {
  checkLinear('matvec', x, w, null, 1, cols, rows, out);
  linearUnchecked(x, w, null, 1, cols, rows, out);
}

/** linear without argument checks, for kernels that reduce to it. */
export function linearUnchecked(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  T: number,
  inDim: number,
  outDim: number,
  out: Float32Array,
): void {
  for (let t = 0; t < T; t++) {
    const xOff = t * inDim;
    const oOff = t * outDim;
    for (let i = 0; i < outDim; i++) {
      const d = dotAt(w, i * inDim, x, xOff, inDim);
      out[oOff + i] = bias === null ? d : fround(d + bias[i]!);
    }
  }
}
