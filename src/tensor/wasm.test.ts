import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bits, ODD_SIZES, randomF32 } from './testData.ts';
import * as ts from './ts/index.ts';
import * as wasm from './wasm/index.ts';
import { kernelRuntime } from './wasm/runtime.ts';

const dim = fc.oneof(fc.constantFrom(...ODD_SIZES), fc.integer({ min: 1, max: 40 }));
const seed = fc.integer({ min: 1, max: 2 ** 31 });
const runs = { numRuns: 40 };

/** Runs `run` on the TS and the WASM kernels with fresh outputs of the given lengths; asserts equal bytes. */
function same(outLengths: number[], run: (k: typeof ts, outs: Float32Array[]) => void): void {
  const a = outLengths.map((n) => new Float32Array(n));
  const b = outLengths.map((n) => new Float32Array(n));
  run(ts, a);
  run(wasm, b);
  for (const [i, arr] of a.entries()) assert.deepEqual(bits(b[i]!), bits(arr));
}

describe('WASM kernels give the bytes of the TypeScript reference', () => {
  it('loads kernels.wasm', () => assert.equal(wasm.wasmAvailable, true));

  it('dot and sum', () =>
    fc.assert(
      fc.property(dim, dim, seed, (n, m, s) => {
        const a = randomF32(n * m, s, 3);
        const b = randomF32(n * m, s + 1, 3);
        assert.equal(wasm.dot(a, b), ts.dot(a, b));
        assert.equal(wasm.sum(a), ts.sum(a));
      }),
      runs,
    ));

  it('linear (with and without bias) and matvec', () =>
    fc.assert(
      fc.property(dim, dim, dim, seed, fc.boolean(), (T, inDim, outDim, s, withBias) => {
        const x = randomF32(T * inDim, s);
        const w = randomF32(outDim * inDim, s + 1);
        const bias = withBias ? randomF32(outDim, s + 2) : null;
        same([T * outDim], (k, [out]) => k.linear(x, w, bias, T, inDim, outDim, out!));
        same([outDim], (k, [out]) => k.matvec(w, x.subarray(0, inDim), outDim, inDim, out!));
      }),
      runs,
    ));

  it('linear on any output row range [i0, i1) writes exactly those rows, with the reference bytes', () =>
    // The row ranges of pool chunks and shards: the kernel pairs rows a quarter of the range apart.
    fc.assert(
      fc.property(
        dim,
        dim,
        dim,
        fc.integer({ min: 1, max: 3 }),
        seed,
        fc.boolean(),
        (a, b, inDim, T, s, withBias) => {
          const outDim = Math.max(a, b);
          const i0 = Math.min(a, b) - 1;
          const i1 = outDim;
          const x = wasm.allocF32(T * inDim);
          const w = wasm.allocF32(outDim * inDim);
          const bias = withBias ? wasm.allocF32(outDim) : null;
          const out = wasm.allocF32(T * outDim);
          try {
            x.set(randomF32(x.length, s));
            w.set(randomF32(w.length, s + 1));
            bias?.set(randomF32(outDim, s + 2));
            out.fill(Number.NaN);
            const expected = new Float32Array(T * outDim);
            ts.linear(x, w, bias, T, inDim, outDim, expected);
            kernelRuntime().exports.linear(
              x.byteOffset,
              w.byteOffset,
              bias?.byteOffset ?? 0,
              T,
              inDim,
              outDim,
              out.byteOffset,
              i0,
              i1,
            );
            for (let t = 0; t < T; t++) {
              const row = (arr: Float32Array, lo: number, hi: number) =>
                arr.subarray(t * outDim + lo, t * outDim + hi);
              assert.deepEqual(bits(row(out, i0, i1)), bits(row(expected, i0, i1)));
              assert.ok(row(out, 0, i0).every(Number.isNaN), 'rows before i0 untouched');
            }
          } finally {
            for (const arr of [x, w, bias, out]) if (arr) wasm.freeF32(arr);
          }
        },
      ),
      runs,
    ));

  it('matmul and matmulTransA', () =>
    fc.assert(
      fc.property(dim, dim, dim, seed, (m, k, n, s) => {
        const a = randomF32(m * k, s);
        const b = randomF32(k * n, s + 1);
        same([m * n], (kk, [out]) => kk.matmul(a, b, m, k, n, out!));
        same([m * n], (kk, [out]) => kk.matmulTransA(a, b, m, k, n, out!));
      }),
      runs,
    ));

  it('sumRows, softmax, softmaxBackward', () =>
    fc.assert(
      fc.property(dim, dim, seed, (rows, cols, s) => {
        const x = randomF32(rows * cols, s, 20);
        const dy = randomF32(rows * cols, s + 1);
        same([cols], (k, [out]) => k.sumRows(x, rows, cols, out!));
        same([rows * cols], (k, [out]) => k.softmax(x, rows, cols, out!));
        same([rows * cols], (k, [out]) => k.softmaxBackward(x, dy, rows, cols, out!));
      }),
      runs,
    ));

  it('causalAttention, including odd head widths and one-row sequences', () =>
    fc.assert(
      fc.property(dim, dim, seed, (T, headDim, s) => {
        const scores = randomF32(T * T, s, 8);
        const v = randomF32(T * headDim, s + 1);
        same([T * T, T * headDim], (k, [probs, y]) => {
          probs!.fill(Number.NaN); // above the diagonal must be overwritten with zeros
          k.causalAttention(scores, v, T, headDim, probs!, y!);
        });
      }),
      runs,
    ));

  it('transpose of any shape (blocks of eight rows and the remainder)', () =>
    fc.assert(
      fc.property(dim, dim, seed, (rows, cols, s) => {
        const src = randomF32(rows * cols, s);
        const a = wasm.allocF32(rows * cols);
        const t = wasm.allocF32(rows * cols);
        try {
          a.set(src);
          kernelRuntime().exports.transpose(a.byteOffset, rows, cols, t.byteOffset);
          for (let r = 0; r < rows; r++) {
            for (let c = 0; c < cols; c++) assert.equal(t[c * rows + r], src[r * cols + c]);
          }
        } finally {
          wasm.freeF32(a);
          wasm.freeF32(t);
        }
      }),
      runs,
    ));

  it('layerNorm and layerNormBackward', () =>
    fc.assert(
      fc.property(dim, dim, seed, (T, C, s) => {
        const x = randomF32(T * C, s, 4);
        const gamma = randomF32(C, s + 1);
        const beta = randomF32(C, s + 2);
        const dout = randomF32(T * C, s + 3);
        same([T * C, T, T], (k, [out, mean, rstd]) =>
          k.layerNorm(x, gamma, beta, T, C, 1e-5, out!, mean, rstd),
        );
        const mean = new Float32Array(T);
        const rstd = new Float32Array(T);
        ts.layerNorm(x, gamma, beta, T, C, 1e-5, new Float32Array(T * C), mean, rstd);
        same([T * C, C, C], (k, [dx, dg, db]) =>
          k.layerNormBackward(dout, x, mean, rstd, gamma, T, C, dx!, dg!, db!),
        );
      }),
      runs,
    ));

  it('elementwise add, mul, scale, exp, log, tanh, gelu, geluBackward', () =>
    fc.assert(
      fc.property(dim, dim, seed, fc.double({ min: -4, max: 4, noNaN: true }), (n, m, s, factor) => {
        const a = randomF32(n * m, s, 12);
        const b = randomF32(n * m, s + 1, 12);
        const positive = a.map(Math.abs);
        const len = [n * m];
        same(len, (k, [o]) => k.add(a, b, o!));
        same(len, (k, [o]) => k.mul(a, b, o!));
        same(len, (k, [o]) => k.scale(a, factor, o!));
        same(len, (k, [o]) => k.exp(a, o!));
        same(len, (k, [o]) => k.log(positive, o!));
        same(len, (k, [o]) => k.tanh(a, o!));
        same(len, (k, [o]) => k.gelu(a, o!));
        same(len, (k, [o]) => k.geluBackward(a, b, o!));
      }),
      runs,
    ));

  it('exp, log and tanh over a sweep of all f32 bit patterns (every 4093rd), NaN-aware', () => {
    const n = Math.floor(2 ** 32 / 4093);
    const u = new Uint32Array(n);
    for (let i = 0; i < n; i++) u[i] = (i * 4093) >>> 0;
    const x = new Float32Array(u.buffer);
    const pairs = [
      ['exp', ts.exp, wasm.exp],
      ['log', ts.log, wasm.log],
      ['tanh', ts.tanh, wasm.tanh],
    ] as const;
    for (const [f, tsFn, wasmFn] of pairs) {
      const p = new Float32Array(n);
      const q = new Float32Array(n);
      tsFn(x, p);
      wasmFn(x, q);
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(p[i]!) && Number.isNaN(q[i]!)) continue;
        if (!Object.is(p[i], q[i])) assert.fail(`${f}(${x[i]}): ts ${p[i]} wasm ${q[i]}`);
      }
    }
  });

  it('in-place calls (out === input) match the reference', () => {
    const x = randomF32(3 * 37, 7, 5);
    const g = randomF32(37, 8);
    const b = randomF32(37, 9);
    same([3 * 37], (k, [o]) => {
      o!.set(x);
      k.layerNorm(o!, g, b, 3, 37, 1e-5, o!);
      k.softmax(o!, 3, 37, o!);
      k.gelu(o!, o!);
      k.add(o!, x, o!);
    });
  });

  it('kernel-resident arrays (allocF32) give the same bytes as ordinary arrays', () => {
    const w = wasm.allocF32(65 * 33);
    const x = wasm.allocF32(33);
    const out = wasm.allocF32(65);
    w.set(randomF32(w.length, 3));
    x.set(randomF32(x.length, 4));
    const expected = new Float32Array(65);
    ts.matvec(w.slice(), x.slice(), 65, 33, expected);
    wasm.matvec(w, x, 65, 33, out);
    assert.deepEqual(bits(out), bits(expected));
    for (const a of [w, x, out]) wasm.freeF32(a);
  });
});
