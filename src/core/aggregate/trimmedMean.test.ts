import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { assertSameBits, seededUpdates, sortedColumn, updatesArb } from './testUpdates.ts';
import { trimmedMean } from './trimmedMean.ts';

/** Naive reference: sort each column, drop floor(beta * n) at each end, sum ascending, divide once. */
function naiveTrimmedMean(updates: readonly Float32Array[], beta: number): number[] {
  const n = updates.length;
  const k = Math.floor(beta * n);
  const out: number[] = [];
  for (let j = 0; j < updates[0]!.length; j++) {
    const kept = sortedColumn(updates, j).slice(k, n - k);
    out.push(Math.fround(kept.reduce((s, v) => s + v, 0) / kept.length));
  }
  return out;
}

test('drops the extremes at each end', () => {
  const updates = [1, 2, 3, 100, -50].map((v) => Float32Array.of(v));
  assertSameBits(trimmedMean(updates, 0.2), [2]);
  assertSameBits(trimmedMean(updates, 0), [Math.fround(56 / 5)]);
});

test('property: bit-identical to the naive reference and independent of update order', () => {
  fc.assert(
    fc.property(
      updatesArb().chain((u) => fc.tuple(fc.constant(u), fc.shuffledSubarray(u, { minLength: u.length }))),
      fc.double({ min: 0, max: 0.5, maxExcluded: true, noNaN: true }),
      ([updates, shuffled], beta) => {
        const out = trimmedMean(updates, beta);
        assertSameBits(out, naiveTrimmedMean(updates, beta));
        assertSameBits(trimmedMean(shuffled, beta), out);
      },
    ),
    { numRuns: 300 },
  );
});

test('property: with f <= floor(beta * n) outliers each coordinate stays within the honest range', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 1, max: 2 ** 31 }),
      fc.constantFrom(1e30, -1e30, 3e38, -3e38),
      (honestCount, f, seed, outlier) => {
        const n = honestCount + f;
        const beta = (f + 0.5) / n; // floor(beta * n) = f
        fc.pre(beta < 0.5);
        const honest = seededUpdates(seed, honestCount, 16);
        const byzantine = Array.from({ length: f }, (_, i) =>
          new Float32Array(16).fill(i % 2 ? outlier : -outlier),
        );
        const out = trimmedMean([...honest, ...byzantine], beta);
        for (let j = 0; j < 16; j++) {
          const column = honest.map((u) => u[j]!);
          assert.ok(out[j]! >= Math.min(...column) && out[j]! <= Math.max(...column));
        }
      },
    ),
  );
});

test('bit-identical to the naive reference on a larger input', () => {
  const updates = seededUpdates(5, 16, 3000, 50);
  assertSameBits(trimmedMean(updates, 0.2), naiveTrimmedMean(updates, 0.2));
});

test('invalid input raises named errors', () => {
  const u = Float32Array.of(1);
  for (const beta of [-0.1, 0.5, 0.7, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => trimmedMean([u, u, u], beta), { name: 'AggregateInvalidTrimError' }, String(beta));
  }
  assert.throws(() => trimmedMean([], 0.1), { name: 'AggregateEmptyError' });
  assert.throws(() => trimmedMean([u, Float32Array.of(1, 2)], 0.1), { name: 'AggregateLengthMismatchError' });
  assert.throws(() => trimmedMean([u, Float32Array.of(Number.NEGATIVE_INFINITY)], 0.1), {
    name: 'AggregateNonFiniteError',
  });
});
