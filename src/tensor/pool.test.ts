import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import * as dispatch from './dispatch.ts';
import { createKernelPool, type KernelPool } from './pool/index.ts';
import { bits, ODD_SIZES, randomF32 } from './testData.ts';
import * as ts from './ts/index.ts';
import * as wasm from './wasm/index.ts';

const dim = fc.oneof(fc.constantFrom(...ODD_SIZES), fc.integer({ min: 1, max: 70 }));

describe('worker pool', () => {
  let pool: KernelPool;
  before(async () => {
    pool = await createKernelPool(2);
  });
  after(async () => {
    await pool.close();
  });

  it('linear, matvec, matmul and matmulTransA equal the single-threaded bytes', () =>
    fc.assert(
      fc.property(
        dim,
        dim,
        dim,
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.boolean(),
        (T, inDim, outDim, seed, b) => {
          const x = randomF32(T * inDim, seed);
          const w = randomF32(outDim * inDim, seed + 1);
          const bias = b ? randomF32(outDim, seed + 2) : null;
          const one = new Float32Array(T * outDim);
          const two = new Float32Array(T * outDim);
          wasm.linear(x, w, bias, T, inDim, outDim, one);
          pool.linear(x, w, bias, T, inDim, outDim, two);
          assert.deepEqual(bits(two), bits(one));

          const xv = x.subarray(0, inDim);
          wasm.matvec(w, xv, outDim, inDim, one.subarray(0, outDim));
          const mv = new Float32Array(outDim);
          pool.matvec(w, xv, outDim, inDim, mv);
          assert.deepEqual(bits(mv), bits(one.subarray(0, outDim)));

          const bm = randomF32(inDim * outDim, seed + 3);
          wasm.matmul(x, bm, T, inDim, outDim, one);
          pool.matmul(x, bm, T, inDim, outDim, two);
          assert.deepEqual(bits(two), bits(one));

          const aT = randomF32(inDim * T, seed + 4);
          wasm.matmulTransA(aT, bm, T, inDim, outDim, one);
          pool.matmulTransA(aT, bm, T, inDim, outDim, two);
          assert.deepEqual(bits(two), bits(one));
        },
      ),
      { numRuns: 40 },
    ));

  it('works zero-copy on kernel-resident arrays, also after kernel memory has grown', () => {
    const rows = 515;
    const cols = 257;
    const w = wasm.allocF32(rows * cols);
    w.set(randomF32(w.length, 11));
    const x = wasm.allocF32(cols);
    x.set(randomF32(cols, 12));
    const grown = wasm.allocF32(16 << 20); // 64 MiB more: forces memory.grow while w and x stay valid
    const out = wasm.allocF32(rows);
    const expected = new Float32Array(rows);
    wasm.matvec(w, x, rows, cols, expected);
    pool.matvec(w, x, rows, cols, out);
    assert.deepEqual(bits(out), bits(expected));
    for (const a of [w, x, grown, out]) wasm.freeF32(a);
  });

  it('many back-to-back calls of changing shapes claim every row exactly once', () => {
    // Stale claims or arguments of a previous call would show up as wrong or missing rows.
    const w = randomF32(4099 * 67, 21);
    const x = randomF32(67 * 3, 22);
    for (let c = 0; c < 300; c++) {
      const outDim = 1 + ((c * 977) % 4099);
      const T = 1 + (c % 3);
      const ws = w.subarray(0, outDim * 67);
      const one = new Float32Array(T * outDim);
      const two = new Float32Array(T * outDim).fill(Number.NaN);
      wasm.linear(x.subarray(0, T * 67), ws, null, T, 67, outDim, one);
      pool.linear(x.subarray(0, T * 67), ws, null, T, 67, outDim, two);
      assert.deepEqual(bits(two), bits(one), `call ${c}: T ${T}, outDim ${outDim}`);
    }
  });

  it('rejects bad shapes with TensorShapeError before touching the workers', () => {
    assert.throws(
      () => pool.matvec(new Float32Array(6), new Float32Array(4), 2, 3, new Float32Array(2)),
      (err: Error) => err.name === 'TensorShapeError',
    );
  });
});

describe('useKernelPool', () => {
  it('routes big calls of the top-level kernels to the pool with unchanged bytes, and ignores a closed pool', async () => {
    const pool = await createKernelPool(2);
    const [m, k, n] = [96, 128, 100]; // 1.2M multiply-adds: above POOL_MIN_WORK
    assert.ok(m * k * n >= dispatch.POOL_MIN_WORK);
    const a = randomF32(m * k, 1);
    const b = randomF32(k * n, 2);
    const expected = new Float32Array(m * n);
    ts.matmul(a, b, m, k, n, expected);
    const out = new Float32Array(m * n);
    dispatch.useKernelPool(pool);
    try {
      dispatch.matmul(a, b, m, k, n, out);
      assert.deepEqual(bits(out), bits(expected));
      await pool.close();
      out.fill(0);
      dispatch.matmul(a, b, m, k, n, out);
      assert.deepEqual(bits(out), bits(expected));
    } finally {
      dispatch.useKernelPool(null);
      await pool.close();
    }
  });
});

describe('pool lifecycle', () => {
  it('a one-thread pool runs on the caller alone; a closed pool refuses calls with KernelPoolError', async () => {
    const pool = await createKernelPool(1);
    const w = randomF32(12, 1);
    const x = randomF32(4, 2);
    const out = new Float32Array(3);
    const expected = new Float32Array(3);
    pool.matvec(w, x, 3, 4, out);
    wasm.matvec(w, x, 3, 4, expected);
    assert.deepEqual(bits(out), bits(expected));
    await pool.close();
    assert.throws(
      () => pool.matvec(w, x, 3, 4, out),
      (err: Error) => err.name === 'KernelPoolError',
    );
  });

  it('rejects a thread count below 1', async () => {
    await assert.rejects(createKernelPool(0), (err: Error) => err.name === 'KernelPoolError');
    await assert.rejects(createKernelPool(1.5), (err: Error) => err.name === 'TensorShapeError');
  });

  it('three threads split rows into three shares with the same bytes', async () => {
    const pool = await createKernelPool(3);
    try {
      const w = randomF32(37 * 29, 3);
      const x = randomF32(29, 4);
      const out = new Float32Array(37);
      const expected = new Float32Array(37);
      pool.matvec(w, x, 37, 29, out);
      wasm.matvec(w, x, 37, 29, expected);
      assert.deepEqual(bits(out), bits(expected));
    } finally {
      await pool.close();
    }
  });
});
