import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { coordinateMedian } from './coordinateMedian.ts';
import { assertSameBits, seededUpdates, sortedColumn, updatesArb } from './testUpdates.ts';

/** Naive reference: sort each column with Array.sort, middle value or mean of the two middle values. */
function naiveMedian(updates: readonly Float32Array[]): number[] {
  const out: number[] = [];
  for (let j = 0; j < updates[0]!.length; j++) {
    const v = sortedColumn(updates, j);
    const n = v.length;
    out.push(Math.fround(n % 2 === 1 ? v[(n - 1) / 2]! : (v[n / 2 - 1]! + v[n / 2]!) / 2));
  }
  return out;
}

test('odd and even counts', () => {
  assertSameBits(
    coordinateMedian([Float32Array.of(1, 5), Float32Array.of(3, -1), Float32Array.of(2, 0)]),
    [2, 0],
  );
  assertSameBits(coordinateMedian([Float32Array.of(1, -0), Float32Array.of(4, -0)]), [2.5, 0]);
});

test('property: bit-identical to the naive reference and independent of update order', () => {
  fc.assert(
    fc.property(
      updatesArb().chain((u) => fc.tuple(fc.constant(u), fc.shuffledSubarray(u, { minLength: u.length }))),
      ([updates, shuffled]) => {
        const out = coordinateMedian(updates);
        assertSameBits(out, naiveMedian(updates));
        assertSameBits(coordinateMedian(shuffled), out);
      },
    ),
    { numRuns: 300 },
  );
});

test('property: with f outliers among n > 2f updates each coordinate stays within the honest range', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 0, max: 7 }),
      fc.integer({ min: 1, max: 2 ** 31 }),
      fc.constantFrom(1e30, -1e30, 3e38),
      (honestCount, f, seed, outlier) => {
        fc.pre(honestCount > f);
        const honest = seededUpdates(seed, honestCount, 16);
        const byzantine = Array.from({ length: f }, () => new Float32Array(16).fill(outlier));
        const out = coordinateMedian([...byzantine, ...honest]);
        for (let j = 0; j < 16; j++) {
          const column = honest.map((u) => u[j]!);
          assert.ok(out[j]! >= Math.min(...column) && out[j]! <= Math.max(...column));
        }
      },
    ),
  );
});

test('bit-identical to the naive reference on a larger input', () => {
  const updates = seededUpdates(11, 16, 3000, 50);
  assertSameBits(coordinateMedian(updates), naiveMedian(updates));
});

test('invalid input raises named errors', () => {
  assert.throws(() => coordinateMedian([]), { name: 'AggregateEmptyError' });
  assert.throws(() => coordinateMedian([Float32Array.of(1), Float32Array.of(1, 2)]), {
    name: 'AggregateLengthMismatchError',
  });
  assert.throws(() => coordinateMedian([Float32Array.of(1), Float32Array.of(Number.NaN)]), {
    name: 'AggregateNonFiniteError',
  });
});
