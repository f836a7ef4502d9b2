import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { krum, krumScores, multiKrum } from './krum.ts';
import { assertSameBits, seededUpdates } from './testUpdates.ts';

/** Naive reference: nested loops for distances, sorted distances per update, sum of the n - f - 2 smallest. */
function naiveScores(updates: readonly Float32Array[], f: number): number[] {
  const n = updates.length;
  return updates.map((a, i) => {
    const distances: number[] = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const b = updates[j]!;
      let d = 0;
      for (let k = 0; k < a.length; k++) d += (a[k]! - b[k]!) * (a[k]! - b[k]!);
      distances.push(d);
    }
    distances.sort((x, y) => x - y);
    return distances.slice(0, n - f - 2).reduce((s, d) => s + d, 0);
  });
}

/** n - f honest updates near the origin, then f updates far away in random directions. */
function attacked(seed: number, n: number, f: number, length: number): Float32Array[] {
  const honest = seededUpdates(seed, n - f, length, 0.1);
  const byzantine = seededUpdates(seed + 1, f, length, 1).map((u) => u.map((v) => v * 1e6 + 1e5));
  return [...byzantine, ...honest];
}

test('property: scores are bit-identical to the naive reference', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 4 }),
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 1, max: 2 ** 31 }),
      (f, extra, length, seed) => {
        const updates = seededUpdates(seed, 2 * f + 3 + extra, length, 100);
        assert.deepEqual(Array.from(krumScores(updates, f)), naiveScores(updates, f));
      },
    ),
    { numRuns: 200 },
  );
});

test('scores match the reference across block boundaries', () => {
  const updates = seededUpdates(3, 7, 4096 * 2 + 5, 10);
  assert.deepEqual(Array.from(krumScores(updates, 2)), naiveScores(updates, 2));
});

test('property: Krum picks an honest update and Multi-Krum only honest ones when f updates are far away', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 4 }),
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 1, max: 2 ** 31 }),
      (f, extra, seed) => {
        const n = 2 * f + 3 + extra;
        const updates = attacked(seed, n, f, 32);
        const chosen = krum(updates, f);
        assert.ok(chosen.index >= f, `picked Byzantine update ${chosen.index}`);
        assertSameBits(chosen.result, updates[chosen.index]!);
        assert.notEqual(chosen.result, updates[chosen.index], 'the result is a copy');
        const m = n - f;
        const multi = multiKrum(updates, f, m);
        assert.deepEqual(
          multi.indices,
          Array.from({ length: m }, (_, i) => i + f),
        );
      },
    ),
    { numRuns: 100 },
  );
});

test('Multi-Krum averages the m best in index order; ties go to the lowest index', () => {
  // Three identical updates and one further away: all identical ones score 0.
  const same = Float32Array.of(1, 2);
  const updates = [Float32Array.of(4, 4), same, same.slice(), same.slice(), Float32Array.of(1, 3)];
  const chosen = krum(updates, 1);
  assert.equal(chosen.index, 1);
  const multi = multiKrum(updates, 1, 4);
  assert.deepEqual(multi.indices, [1, 2, 3, 4]);
  assertSameBits(multi.result, [1, Math.fround(9 / 4)]);
  assert.deepEqual(Array.from(multi.scores), naiveScores(updates, 1));
});

test('invalid input raises named errors', () => {
  const four = seededUpdates(1, 4, 3);
  assert.throws(() => krum(four, 1), { name: 'AggregateByzantineBoundError' }); // needs n > 4
  assert.throws(() => krum(four, -1), { name: 'AggregateByzantineBoundError' });
  assert.throws(() => krum(four, 0.5), { name: 'AggregateByzantineBoundError' });
  assert.equal(krum(four, 0).scores.length, 4);
  assert.throws(() => krum([], 0), { name: 'AggregateEmptyError' });
  assert.throws(() => krum([...four, Float32Array.of(1)], 0), { name: 'AggregateLengthMismatchError' });
  assert.throws(() => krum([...four, Float32Array.of(1, Number.NaN, 2)], 0), {
    name: 'AggregateNonFiniteError',
  });
  for (const m of [0, 5, 1.5]) {
    assert.throws(() => multiKrum(four, 0, m), { name: 'AggregateInvalidSelectionError' }, String(m));
  }
});
