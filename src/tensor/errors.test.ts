import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertFiniteF32 } from './finite.ts';
import * as ts from './ts/index.ts';
import * as wasm from './wasm/index.ts';

const f = (n: number) => new Float32Array(n);
const isShapeError = (err: Error) => err.name === 'TensorShapeError';

/** One bad call per kernel: a buffer whose length does not match the dimensions. */
const badCalls: [string, (k: typeof ts) => void][] = [
  ['linear: x too short', (k) => k.linear(f(5), f(6), null, 2, 3, 2, f(4))],
  ['linear: bias wrong length', (k) => k.linear(f(6), f(6), f(3), 2, 3, 2, f(4))],
  ['linear: fractional dim', (k) => k.linear(f(6), f(6), null, 2, 3.5, 2, f(4))],
  ['matvec: out too long', (k) => k.matvec(f(6), f(3), 2, 3, f(3))],
  ['matvec: negative rows', (k) => k.matvec(f(6), f(3), -2, 3, f(2))],
  ['matmul: b wrong length', (k) => k.matmul(f(6), f(5), 2, 3, 2, f(4))],
  ['matmulTransA: out wrong length', (k) => k.matmulTransA(f(6), f(6), 2, 3, 2, f(5))],
  ['add: lengths differ', (k) => k.add(f(3), f(4), f(3))],
  ['mul: out differs', (k) => k.mul(f(3), f(3), f(2))],
  ['scale: out differs', (k) => k.scale(f(3), 2, f(4))],
  ['exp: out differs', (k) => k.exp(f(3), f(2))],
  ['log: out differs', (k) => k.log(f(3), f(2))],
  ['tanh: out differs', (k) => k.tanh(f(3), f(2))],
  ['gelu: out differs', (k) => k.gelu(f(3), f(2))],
  ['geluBackward: dout differs', (k) => k.geluBackward(f(3), f(2), f(3))],
  ['softmax: rows*cols mismatch', (k) => k.softmax(f(6), 2, 4, f(8))],
  ['softmaxBackward: dy mismatch', (k) => k.softmaxBackward(f(6), f(5), 2, 3, f(6))],
  ['sumRows: out mismatch', (k) => k.sumRows(f(6), 2, 3, f(2))],
  ['dot: lengths differ', (k) => k.dot(f(3), f(4))],
  ['layerNorm: gamma mismatch', (k) => k.layerNorm(f(6), f(2), f(3), 2, 3, 1e-5, f(6))],
  ['layerNorm: C = 0', (k) => k.layerNorm(f(0), f(0), f(0), 2, 0, 1e-5, f(0))],
  ['layerNorm: rstdOut mismatch', (k) => k.layerNorm(f(6), f(3), f(3), 2, 3, 1e-5, f(6), f(2), f(3))],
  [
    'layerNormBackward: mean mismatch',
    (k) => k.layerNormBackward(f(6), f(6), f(3), f(2), f(3), 2, 3, f(6), f(3), f(3)),
  ],
];

describe('bad shapes throw TensorShapeError on both paths', () => {
  for (const [name, call] of badCalls) {
    it(name, () => {
      assert.throws(() => call(ts), isShapeError);
      assert.throws(() => call(wasm), isShapeError);
    });
  }

  it('a non-Float32Array argument is a TensorShapeError too', () => {
    const notF32 = new Float64Array(3) as unknown as Float32Array;
    assert.throws(() => ts.add(notF32, f(3), f(3)), isShapeError);
    assert.throws(() => wasm.add(notF32, f(3), f(3)), isShapeError);
  });

  it('zero-sized dimensions are valid no-ops', () => {
    const out = f(0);
    ts.linear(f(0), f(0), null, 0, 3, 0, out);
    wasm.matvec(f(0), f(5), 0, 5, out);
    const z = f(2);
    wasm.matvec(f(0), f(0), 2, 0, z);
    assert.deepEqual([...z], [0, 0]);
  });
});

describe('values at boundaries', () => {
  it('assertFiniteF32 rejects NaN and Inf with core TensorNonFiniteError, accepts -0', () => {
    assertFiniteF32(new Float32Array([0, -0, 1e-45, 3e38]));
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      assert.throws(
        () => assertFiniteF32(new Float32Array([1, bad])),
        (err: Error) => err.name === 'TensorNonFiniteError',
      );
    }
  });

  it('kernels do not validate values: a NaN input propagates to the outputs it touches', () => {
    const w = new Float32Array([1, 2, Number.NaN, 4]);
    const out = f(2);
    wasm.matvec(w, new Float32Array([1, 1]), 2, 2, out);
    assert.equal(out[0], 3);
    assert.ok(Number.isNaN(out[1]!));
    assert.throws(
      () => assertFiniteF32(out),
      (err: Error) => err.name === 'TensorNonFiniteError',
    );
  });
});

describe('kernel memory', () => {
  it('allocF32 gives zeroed resident arrays; freeF32 rejects foreign or freed arrays', () => {
    const a = wasm.allocF32(100);
    assert.equal(a.length, 100);
    assert.ok(wasm.isKernelResident(a));
    assert.ok(a.every((v) => v === 0));
    a.fill(7);
    wasm.freeF32(a);
    const b = wasm.allocF32(100);
    assert.ok(
      b.every((v) => v === 0),
      'a reused block is zeroed again',
    );
    assert.throws(
      () => wasm.freeF32(new Float32Array(4)),
      (err: Error) => err.name === 'KernelMemoryFreeError',
    );
    wasm.freeF32(b);
    assert.throws(
      () => wasm.freeF32(b),
      (err: Error) => err.name === 'KernelMemoryFreeError',
    );
    assert.throws(() => wasm.allocF32(-1), isShapeError);
  });

  it('views stay valid and resident when the memory grows', () => {
    const a = wasm.allocF32(1000);
    a.fill(3);
    const big = wasm.allocF32(8 << 20);
    assert.equal(a.length, 1000);
    assert.ok(wasm.isKernelResident(a) && wasm.isKernelResident(big));
    assert.equal(wasm.sum(a), 3000);
    wasm.freeF32(big);
    wasm.freeF32(a);
  });
});
