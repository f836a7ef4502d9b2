import { checkSameLength } from '../checks.ts';
import { tanhF32 } from '../math.ts';

const fround = Math.fround;

/** sqrt(2/pi) in f32, the scale of GPT-2's tanh GELU. */
export const GELU_SCALE = fround(Math.sqrt(2 / Math.PI));
/** The cubic coefficient 0.044715 in f32. */
export const GELU_CUBIC = fround(0.044715);
/** 3 * 0.044715 in f32, for the derivative. */
export const GELU_CUBIC3 = fround(3 * 0.044715);

/**
 * GPT-2's GELU, all in f32: cube = ((0.044715 x) x) x; t = tanh(s (x + cube));
 * out = (0.5 x)(1 + t), with Concord's tanh. out may alias x. TypeScript reference.
 */
export function gelu(x: Float32Array, out: Float32Array): void {
  checkSameLength('gelu', x, out);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const cube = fround(fround(fround(GELU_CUBIC * v) * v) * v);
    const t = tanhF32(fround(GELU_SCALE * fround(v + cube)));
    out[i] = fround(fround(0.5 * v) * fround(1 + t));
  }
}

/**
 * Gradient of gelu: dx = dout * (0.5 (1 + t) + ((0.5 x) (1 - t^2)) s (1 + (3 * 0.044715 x) x)),
 * all in f32 (docs/kernels.md). dx is overwritten and may alias dout. TypeScript reference.
 */
export function geluBackward(x: Float32Array, dout: Float32Array, dx: Float32Array): void {
  checkSameLength('geluBackward', x, dout, dx);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const cube = fround(fround(fround(GELU_CUBIC * v) * v) * v);
    const t = tanhF32(fround(GELU_SCALE * fround(v + cube)));
    const sech2 = fround(1 - fround(t * t));
    const slope = fround(1 + fround(fround(GELU_CUBIC3 * v) * v));
    const local = fround(
      fround(0.5 * fround(1 + t)) + fround(fround(fround(fround(0.5 * v) * sech2) * GELU_SCALE) * slope),
    );
    dx[i] = fround(local * dout[i]!);
  }
}
