import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomF32 } from './testData.ts';
import * as wasm from './wasm/index.ts';

/**
 * The kernels against plain f64 implementations written out here (Math.exp
 * and Math.tanh are fine in a test reference): the canonical order must
 * still compute the right numbers. Max differences are printed.
 */

/** Asserts |got - want| <= tol * (1 + |want|) elementwise and prints the max scaled difference. */
function close(name: string, got: Float32Array, want: number[], tol: number): void {
  assert.equal(got.length, want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++)
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  console.log(`${name}: max scaled difference ${worst.toExponential(2)} (tolerance ${tol})`);
  assert.ok(worst <= tol, `${name}: ${worst} > ${tol}`);
}

const [T, C, O] = [6, 97, 23];
const x = randomF32(T * C, 1, 2);
const w = randomF32(O * C, 2);
const bias = randomF32(O, 3);
const gamma = randomF32(C, 4);
const beta = randomF32(C, 5);
const dout = randomF32(T * C, 6);
const row = (a: Float32Array, t: number, n: number) => Array.from(a.subarray(t * n, (t + 1) * n));
const GELU = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));

describe('kernels compute the right numbers (vs f64 references)', () => {
  it('linear', () => {
    const out = new Float32Array(T * O);
    wasm.linear(x, w, bias, T, C, O, out);
    const want: number[] = [];
    for (let t = 0; t < T; t++)
      for (let i = 0; i < O; i++) {
        let s = bias[i]!;
        for (let j = 0; j < C; j++) s += w[i * C + j]! * x[t * C + j]!;
        want.push(s);
      }
    close('linear', out, want, 1e-5);
  });

  it('matmulTransA (dW = dYᵀ X) and sumRows', () => {
    const out = new Float32Array(C * C);
    wasm.matmulTransA(x, dout, C, T, C, out);
    const want: number[] = [];
    for (let i = 0; i < C; i++)
      for (let j = 0; j < C; j++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += x[t * C + i]! * dout[t * C + j]!;
        want.push(s);
      }
    close('matmulTransA', out, want, 1e-5);
    const sums = new Float32Array(C);
    wasm.sumRows(x, T, C, sums);
    const wantSums = new Array<number>(C).fill(0);
    for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) wantSums[c]! += x[t * C + c]!;
    close('sumRows', sums, wantSums, 1e-5);
  });

  it('layerNorm and its backward', () => {
    const out = new Float32Array(T * C);
    const mean = new Float32Array(T);
    const rstd = new Float32Array(T);
    wasm.layerNorm(x, gamma, beta, T, C, 1e-5, out, mean, rstd);
    const want: number[] = [];
    const wantDx: number[] = [];
    const wantDg = new Array<number>(C).fill(0);
    for (let t = 0; t < T; t++) {
      const r = row(x, t, C);
      const m = r.reduce((a, b) => a + b, 0) / C;
      const v = r.reduce((a, b) => a + (b - m) ** 2, 0) / C;
      const s = 1 / Math.sqrt(v + 1e-5);
      const norm = r.map((xi) => (xi - m) * s);
      norm.forEach((n, c) => {
        want.push(n * gamma[c]! + beta[c]!);
        wantDg[c]! += dout[t * C + c]! * n;
      });
      const dnorm = norm.map((_, c) => dout[t * C + c]! * gamma[c]!);
      const dm = dnorm.reduce((a, b) => a + b, 0) / C;
      const dnm = dnorm.reduce((a, b, c) => a + b * norm[c]!, 0) / C;
      norm.forEach((n, c) => {
        wantDx.push((dnorm[c]! - dm - n * dnm) * s);
      });
    }
    close('layerNorm', out, want, 1e-5);
    const dx = new Float32Array(T * C);
    const dg = new Float32Array(C);
    const db = new Float32Array(C);
    wasm.layerNormBackward(dout, x, mean, rstd, gamma, T, C, dx, dg, db);
    close('layerNormBackward dx', dx, wantDx, 1e-4);
    close('layerNormBackward dgamma', dg, wantDg, 1e-5);
  });

  it('softmax and its backward', () => {
    const xs = randomF32(T * C, 9, 30);
    const out = new Float32Array(T * C);
    wasm.softmax(xs, T, C, out);
    const want: number[] = [];
    const wantDx: number[] = [];
    for (let t = 0; t < T; t++) {
      const r = row(xs, t, C);
      const m = Math.max(...r);
      const e = r.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      const y = e.map((v) => v / s);
      want.push(...y);
      const yf = Float32Array.from(y);
      const dot = y.reduce((a, yi, c) => a + yi * dout[t * C + c]!, 0);
      wantDx.push(...Array.from(yf, (yi, c) => yi * (dout[t * C + c]! - dot)));
    }
    close('softmax', out, want, 1e-6);
    const dx = new Float32Array(T * C);
    wasm.softmaxBackward(out, dout, T, C, dx);
    close('softmaxBackward', dx, wantDx, 1e-6);
  });

  it('gelu and its backward (vs a central difference)', () => {
    const xs = randomF32(1000, 10, 6);
    const out = new Float32Array(1000);
    wasm.gelu(xs, out);
    close('gelu', out, Array.from(xs, GELU), 1e-6);
    const ones = new Float32Array(1000).fill(1);
    wasm.geluBackward(xs, ones, out);
    const h = 1e-6;
    close(
      'geluBackward',
      out,
      Array.from(xs, (v) => (GELU(v + h) - GELU(v - h)) / (2 * h)),
      1e-5,
    );
  });
});
