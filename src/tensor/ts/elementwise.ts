import { checkSameLength } from '../checks.ts';
import { expF32, logF32, tanhF32 } from '../math.ts';

const fround = Math.fround;

/** out[i] = a[i] + b[i] in f32; out may alias a or b. TypeScript reference. */
export function add(a: Float32Array, b: Float32Array, out: Float32Array): void {
  checkSameLength('add', a, b, out);
  for (let i = 0; i < a.length; i++) out[i] = fround(a[i]! + b[i]!);
}

/** out[i] = a[i] * b[i] in f32; out may alias a or b. TypeScript reference. */
export function mul(a: Float32Array, b: Float32Array, out: Float32Array): void {
  checkSameLength('mul', a, b, out);
  for (let i = 0; i < a.length; i++) out[i] = fround(a[i]! * b[i]!);
}

/** out[i] = a[i] * s in f32 (s is rounded to f32 first); out may alias a. TypeScript reference. */
export function scale(a: Float32Array, s: number, out: Float32Array): void {
  checkSameLength('scale', a, out);
  const s32 = fround(s);
  for (let i = 0; i < a.length; i++) out[i] = fround(a[i]! * s32);
}

/** out[i] = Concord's exp(x[i]); out may alias x. TypeScript reference. */
export function exp(x: Float32Array, out: Float32Array): void {
  checkSameLength('exp', x, out);
  for (let i = 0; i < x.length; i++) out[i] = expF32(x[i]!);
}

/** out[i] = Concord's log(x[i]); out may alias x. TypeScript reference. */
export function log(x: Float32Array, out: Float32Array): void {
  checkSameLength('log', x, out);
  for (let i = 0; i < x.length; i++) out[i] = logF32(x[i]!);
}

/** out[i] = Concord's tanh(x[i]); out may alias x. TypeScript reference. */
export function tanh(x: Float32Array, out: Float32Array): void {
  checkSameLength('tanh', x, out);
  for (let i = 0; i < x.length; i++) out[i] = tanhF32(x[i]!);
}
