import { checkLayerNormBackward } from '../checks.ts';
import { dotAt, sumStridedAt } from './dot.ts';
import { sumRowsUnchecked } from './reduce.ts';

const fround = Math.fround;

/**
 * Gradients of layerNorm (docs/kernels.md gives the exact f32 sequence), with
 * norm = (x - mean) * rstd and dnorm = dout * gamma per element:
 * dbeta = sumRows(dout); dgamma = sumRows(dout * norm);
 * dx = ((dnorm - sum(dnorm)/C) - norm * (sum(dnorm * norm)/C)) * rstd.
 * Every output is overwritten (not accumulated). dx must not alias dout or x.
 */
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
  for (let t = 0; t < T; t++) {
    const o = t * C;
    const m = mean[t]!;
    const r = rstd[t]!;
    for (let c = 0; c < C; c++) dx[o + c] = fround(dout[o + c]! * fround(fround(x[o + c]! - m) * r));
  }
  sumRowsUnchecked(dx, T, C, dgamma);
  sumRowsUnchecked(dout, T, C, dbeta);
  for (let t = 0; t < T; t++) {
    const o = t * C;
    const m = mean[t]!;
    const r = rstd[t]!;
    for (let c = 0; c < C; c++) {
      dx[o + c] = fround(fround(dout[o + c]! * gamma[c]!) * fround(fround(x[o + c]! - m) * r));
    }
    const dnormMean = fround(dotAt(dout, o, gamma, 0, C) / C);
    const dnormNormMean = fround(sumStridedAt(dx, o, 1, C) / C);
    for (let c = 0; c < C; c++) {
      const norm = fround(fround(x[o + c]! - m) * r);
      const dnorm = fround(dout[o + c]! * gamma[c]!);
      dx[o + c] = fround(fround(fround(dnorm - dnormMean) - fround(norm * dnormNormMean)) * r);
    }
  }
}
