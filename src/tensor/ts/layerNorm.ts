import { checkLayerNorm } from '../checks.ts';
import { dotAt, sumStridedAt } from './dot.ts';

const fround = Math.fround;

/**
 * Layer norm over the last dimension of x (T, C), all in f32:
 * mean = sum(x)/C; d = x - mean; var = dot(d, d)/C; rstd = 1/sqrt(var + eps);
 * out = (d * rstd) * gamma + beta. meanOut and rstdOut (length T) receive the
 * statistics the backward pass needs. out may alias x. TypeScript reference.
 */
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
  const eps32 = fround(eps);
  for (let t = 0; t < T; t++) {
    const o = t * C;
    const mean = fround(sumStridedAt(x, o, 1, C) / C);
    for (let c = 0; c < C; c++) out[o + c] = fround(x[o + c]! - mean);
    const variance = fround(dotAt(out, o, out, o, C) / C);
    const rstd = fround(1 / fround(Math.sqrt(fround(variance + eps32))));
    for (let c = 0; c < C; c++)
      out[o + c] = fround(fround(fround(out[o + c]! * rstd) * gamma[c]!) + beta[c]!);
    if (meanOut) meanOut[t] = mean;
    if (rstdOut) rstdOut[t] = rstd;
  }
}
