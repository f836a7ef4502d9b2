import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as dispatch from './dispatch.ts';
import { bits, ODD_SIZES, randomF32 } from './testData.ts';
import * as ts from './ts/index.ts';
import * as wasm from './wasm/index.ts';

const dim = fc.oneof(fc.constantFrom(...ODD_SIZES), fc.integer({ min: 1, max: 50 }));
const paths = { ts, wasm, dispatch } as const;

describe('each output is one canonical dot: linear over T rows = per-row matvec = row shards', () => {
  for (const [name, k] of Object.entries(paths)) {
    it(`${name}: linear, per-row matvec and sharded matvec agree bit for bit`, () =>
      fc.assert(
        fc.property(
          dim,
          dim,
          dim,
          fc.integer({ min: 1, max: 2 ** 31 }),
          fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }),
          (T, inDim, outDim, seed, cuts) => {
            const x = randomF32(T * inDim, seed);
            const w = randomF32(outDim * inDim, seed + 1);
            const full = new Float32Array(T * outDim);
            k.linear(x, w, null, T, inDim, outDim, full);

            const points = [...new Set([0, outDim, ...cuts.map((c) => Math.floor(c * outDim))])].sort(
              (a, b) => a - b,
            );
            for (let t = 0; t < T; t++) {
              const xt = x.subarray(t * inDim, (t + 1) * inDim);
              const row = new Float32Array(outDim);
              k.matvec(w, xt, outDim, inDim, row);
              assert.deepEqual(bits(row), bits(full.subarray(t * outDim, (t + 1) * outDim)));

              const assembled = new Float32Array(outDim);
              for (let s = 0; s + 1 < points.length; s++) {
                const r0 = points[s]!;
                const r1 = points[s + 1]!;
                const part = new Float32Array(r1 - r0);
                k.matvec(w.subarray(r0 * inDim, r1 * inDim), xt, r1 - r0, inDim, part);
                assembled.set(part, r0);
              }
              assert.deepEqual(bits(assembled), bits(row));
            }
          },
        ),
        { numRuns: 30 },
      ));
  }

  it('linear with bias equals linear without bias plus one f32 add per element', () => {
    const x = randomF32(5 * 19, 1);
    const w = randomF32(11 * 19, 2);
    const bias = randomF32(11, 3);
    const plain = new Float32Array(5 * 11);
    const biased = new Float32Array(5 * 11);
    ts.linear(x, w, null, 5, 19, 11, plain);
    wasm.linear(x, w, bias, 5, 19, 11, biased);
    for (let i = 0; i < plain.length; i++) assert.equal(biased[i], Math.fround(plain[i]! + bias[i % 11]!));
  });

  it('matmul(A, B) equals linear(A, Bᵀ) and matmulTransA(A, B) equals matmul(Aᵀ, B)', () => {
    const [m, k, n] = [9, 21, 13];
    const a = randomF32(m * k, 4);
    const b = randomF32(k * n, 5);
    const bt = new Float32Array(n * k);
    for (let r = 0; r < k; r++) for (let c = 0; c < n; c++) bt[c * k + r] = b[r * n + c]!;
    const viaMatmul = new Float32Array(m * n);
    const viaLinear = new Float32Array(m * n);
    wasm.matmul(a, b, m, k, n, viaMatmul);
    ts.linear(a, bt, null, m, k, n, viaLinear);
    assert.deepEqual(bits(viaMatmul), bits(viaLinear));

    const aKm = randomF32(k * m, 6);
    const at = new Float32Array(m * k);
    for (let r = 0; r < k; r++) for (let c = 0; c < m; c++) at[c * k + r] = aKm[r * m + c]!;
    const transA = new Float32Array(m * n);
    wasm.matmulTransA(aKm, b, m, k, n, transA);
    ts.matmul(at, b, m, k, n, viaMatmul);
    assert.deepEqual(bits(transA), bits(viaMatmul));
  });
});
