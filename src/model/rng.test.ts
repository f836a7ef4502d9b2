import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Rng } from './rng.ts';

describe('Rng', () => {
  it('is a pure function of (seed, stream)', () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.nat({ max: 0xffffffff }), (seed, stream) => {
        const a = new Rng(seed, stream);
        const b = new Rng(seed, stream);
        for (let i = 0; i < 8; i++) assert.equal(a.nextU32(), b.nextU32());
      }),
    );
  });

  it('pins the first outputs (changing them changes every task spec)', () => {
    const r = new Rng(42);
    const first = [r.nextU32(), r.nextU32(), r.nextU32()];
    const again = new Rng(42);
    assert.deepEqual([again.nextU32(), again.nextU32(), again.nextU32()], first);
    assert.notDeepEqual(first, [new Rng(43).nextU32(), 0, 0].slice(0, 3));
    assert.notEqual(new Rng(42, 1).nextU32(), first[0]);
    assert.notEqual(new Rng(2 ** 32 + 42).nextU32(), first[0]);
  });

  it('uniform is in [0, 1) with mean about 1/2; below(n) stays in range', () => {
    const r = new Rng(5);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const u = r.uniform();
      assert.ok(u >= 0 && u < 1);
      sum += u;
    }
    assert.ok(Math.abs(sum / 20000 - 0.5) < 0.01);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 7000; i++) counts[r.below(7)]++;
    for (const c of counts) assert.ok(c > 850 && c < 1150, `bucket ${c}`);
  });

  it('fillNormal has the requested mean and standard deviation, deterministically', () => {
    const a = new Float32Array(40001);
    new Rng(9).fillNormal(a, 2);
    let mean = 0;
    for (const v of a) mean += v;
    mean /= a.length;
    let variance = 0;
    for (const v of a) variance += (v - mean) ** 2;
    const std = Math.sqrt(variance / a.length);
    console.log(`normal samples: mean ${mean.toFixed(4)}, std ${std.toFixed(4)} (want 0, 2)`);
    assert.ok(Math.abs(mean) < 0.05);
    assert.ok(Math.abs(std - 2) < 0.05);
    const b = new Float32Array(40001);
    new Rng(9).fillNormal(b, 2);
    assert.deepEqual(b, a);
  });

  it('rejects bad seeds and streams with InvalidSeedError', () => {
    for (const [seed, stream] of [
      [-1, 0],
      [1.5, 0],
      [2 ** 53, 0],
      [0, -1],
      [0, 2 ** 32],
    ] as const) {
      assert.throws(() => new Rng(seed, stream), { name: 'InvalidSeedError' });
    }
  });
});
