import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { randomF32 } from './testData.ts';
import * as ts from './ts/index.ts';
import { KERNEL_VERSION } from './version.ts';
import * as wasm from './wasm/index.ts';

/**
 * Fixed inputs for every kernel with pinned output digests. If a digest
 * changes, the arithmetic changed: bump KERNEL_VERSION (src/tensor/version.ts),
 * update docs/kernels.md and then these digests.
 */
function goldenDigests(k: typeof ts): Record<string, string> {
  const [T, C, O] = [5, 67, 19];
  const x = randomF32(T * C, 1, 3);
  const w = randomF32(O * C, 2);
  const bias = randomF32(O, 3);
  const g = randomF32(C, 4);
  const b = randomF32(C, 5);
  const dout = randomF32(T * C, 6);
  const digests: Record<string, string> = {};
  const put = (name: string, ...arrays: Float32Array[]) => {
    const h = createHash('sha256');
    for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    digests[name] = h.digest('hex').slice(0, 16);
  };
  const lin = new Float32Array(T * O);
  k.linear(x, w, bias, T, C, O, lin);
  put('linear', lin);
  const mm = new Float32Array(T * O);
  k.matmul(x, randomF32(C * O, 7), T, C, O, mm);
  put('matmul', mm);
  const mt = new Float32Array(C * O);
  k.matmulTransA(x, randomF32(T * O, 8), C, T, O, mt);
  put('matmulTransA', mt);
  const ln = new Float32Array(T * C);
  const mean = new Float32Array(T);
  const rstd = new Float32Array(T);
  k.layerNorm(x, g, b, T, C, 1e-5, ln, mean, rstd);
  put('layerNorm', ln, mean, rstd);
  const dx = new Float32Array(T * C);
  const dg = new Float32Array(C);
  const db = new Float32Array(C);
  k.layerNormBackward(dout, x, mean, rstd, g, T, C, dx, dg, db);
  put('layerNormBackward', dx, dg, db);
  const sm = new Float32Array(T * C);
  k.softmax(x, T, C, sm);
  put('softmax', sm);
  const smb = new Float32Array(T * C);
  k.softmaxBackward(sm, dout, T, C, smb);
  put('softmaxBackward', smb);
  const probs = new Float32Array(C * C);
  const att = new Float32Array(C * T);
  k.causalAttention(randomF32(C * C, 9, 6), randomF32(C * T, 10), C, T, probs, att);
  put('causalAttention', probs, att);
  const e = new Float32Array(T * C);
  k.gelu(x, e);
  put('gelu', e);
  k.geluBackward(x, dout, e);
  put('geluBackward', e);
  k.exp(x, e);
  put('exp', e);
  k.log(x.map(Math.abs), e);
  put('log', e);
  k.tanh(x, e);
  put('tanh', e);
  const sr = new Float32Array(C);
  k.sumRows(x, T, C, sr);
  put('sumRows', sr, new Float32Array([k.sum(x), k.dot(x, dout)]));
  return digests;
}

const PINNED: Record<string, Record<string, string>> = {
  'concord-k1': {
    linear: '81d7ea6fdfd7ffeb',
    matmul: '8d5b3446de98cacf',
    matmulTransA: 'b50a51a56cf25f3f',
    layerNorm: 'e138abaad6524900',
    layerNormBackward: '7d49e416808f4d90',
    softmax: '9197491013ddf85d',
    softmaxBackward: '50989f2cf853a42a',
    causalAttention: '2aa19ffbf29ba25a',
    gelu: 'bb0937cd47ef1bf9',
    geluBackward: '4b986c3f47b70d9b',
    exp: 'c7f604d2c8c786e6',
    log: 'fd4aca8f496bc8e0',
    tanh: '5293ca2c1eca1e78',
    sumRows: 'cc65ae97baf0d074',
  },
};

describe(`pinned output digests of ${KERNEL_VERSION}`, () => {
  it('the TypeScript reference reproduces them', () =>
    assert.deepEqual(goldenDigests(ts), PINNED[KERNEL_VERSION]));
  it('the WebAssembly kernels reproduce them', () =>
    assert.deepEqual(goldenDigests(wasm), PINNED[KERNEL_VERSION]));
});
