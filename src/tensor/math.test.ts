import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expF32, logF32, tanhF32 } from './math.ts';
import { kernelRuntime } from './wasm/runtime.ts';

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
/** Distance in f32 units in the last place (same-sign finite values). */
function ulps(a: number, b: number): number {
  f32[0] = a;
  const ia = i32[0]!;
  f32[0] = b;
  return Math.abs(ia - i32[0]!);
}

/** Max ulp error of fn vs fround(ref) over `n` points spread evenly over [lo, hi]; prints it. */
function maxUlp(
  name: string,
  fn: (x: number) => number,
  ref: (x: number) => number,
  xs: Iterable<number>,
): number {
  let worst = 0;
  let at = 0;
  let count = 0;
  for (const x of xs) {
    const e = ulps(fn(x), Math.fround(ref(x)));
    count++;
    if (e > worst) {
      worst = e;
      at = x;
    }
  }
  console.log(`${name}: max error ${worst} ulp vs Math.* (at x = ${at}) over ${count} points`);
  return worst;
}

function* linspace(lo: number, hi: number, n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield Math.fround(lo + ((hi - lo) * i) / (n - 1));
}

function* logspace(lo: number, hi: number, n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield Math.fround(lo * (hi / lo) ** (i / (n - 1)));
}

describe("Concord's own exp, log, tanh", () => {
  it('exp is within 1 ulp of Math.exp over [-103, 88.7]', () => {
    assert.ok(maxUlp('exp', expF32, Math.exp, linspace(-103, 88.7, 200_001)) <= 1);
  });

  it('log is within 1 ulp of Math.log over positive normals and subnormals', () => {
    assert.ok(maxUlp('log', logF32, Math.log, logspace(1e-44, 3e38, 200_001)) <= 1);
    assert.ok(maxUlp('log near 1', logF32, Math.log, linspace(0.5, 2, 100_001)) <= 1);
  });

  it('tanh is within 1 ulp of Math.tanh over [-12, 12] and tiny arguments', () => {
    assert.ok(maxUlp('tanh', tanhF32, Math.tanh, linspace(-12, 12, 200_001)) <= 1);
    assert.ok(maxUlp('tanh tiny', tanhF32, Math.tanh, logspace(1e-40, 1e-2, 20_001)) <= 1);
  });

  it('special values follow IEEE conventions', () => {
    assert.equal(expF32(0), 1);
    assert.equal(expF32(Number.NEGATIVE_INFINITY), 0);
    assert.equal(expF32(-200), 0);
    assert.equal(expF32(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
    assert.equal(expF32(89), Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(expF32(Number.NaN)));
    assert.equal(logF32(1), 0);
    assert.equal(logF32(0), Number.NEGATIVE_INFINITY);
    assert.equal(logF32(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(logF32(-1)));
    assert.ok(Number.isNaN(logF32(Number.NaN)));
    assert.ok(Object.is(tanhF32(-0), -0));
    assert.ok(Object.is(tanhF32(0), 0));
    assert.equal(tanhF32(50), 1);
    assert.equal(tanhF32(Number.NEGATIVE_INFINITY), -1);
    assert.ok(Number.isNaN(tanhF32(Number.NaN)));
  });

  it('the WASM scalar functions return the same values, special ones included', () => {
    const k = kernelRuntime().exports;
    const xs = [
      0,
      -0,
      1,
      -1,
      1e-45,
      1e-38,
      0.5,
      88.72,
      88.73,
      -103.9,
      -104,
      20,
      20.5,
      1e30,
      -1e30,
      Infinity,
      -Infinity,
    ];
    for (const x of xs) {
      for (const [ts, wasm] of [
        [expF32, k.expF32],
        [logF32, k.logF32],
        [tanhF32, k.tanhF32],
      ] as const) {
        const a = ts(x);
        const b = wasm(x);
        assert.ok(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)), `${ts.name}(${x}): ${a} vs ${b}`);
      }
    }
  });
});
