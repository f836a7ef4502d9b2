import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fedAvg } from './fedAvg.ts';
import { assertSameBits, seededUpdates, updatesArb } from './testUpdates.ts';

/** Naive reference: plain nested loops over numbers, accumulate in update order, one division. */
function naiveFedAvg(updates: readonly Float32Array[], weights: readonly number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  const out: number[] = [];
  for (let j = 0; j < (updates[0]?.length ?? 0); j++) {
    let sum = 0;
    for (let i = 0; i < updates.length; i++) sum += weights[i]! * updates[i]![j]!;
    out.push(Math.fround(sum / total));
  }
  return out;
}

test('weighted mean of small updates', () => {
  const out = fedAvg([Float32Array.of(1, 2, -4), Float32Array.of(3, 6, 4)], [1, 3n]);
  assertSameBits(out, [2.5, 5, 2]);
});

test('property: bit-identical to the naive reference', () => {
  fc.assert(
    fc.property(
      updatesArb().chain((updates) =>
        fc.tuple(
          fc.constant(updates),
          fc.array(fc.integer({ min: 0, max: 1000 }), {
            minLength: updates.length,
            maxLength: updates.length,
          }),
        ),
      ),
      ([updates, weights]) => {
        fc.pre(weights.some((w) => w > 0));
        assertSameBits(fedAvg(updates, weights), naiveFedAvg(updates, weights));
      },
    ),
    { numRuns: 300 },
  );
});

test('bit-identical to the naive reference across block boundaries', () => {
  const updates = seededUpdates(7, 5, 2048 * 2 + 17, 1000);
  const weights = [3, 1, 4, 1, 5];
  assertSameBits(fedAvg(updates, weights), naiveFedAvg(updates, weights));
});

test('large weights near 2^53 stay exact', () => {
  const big = 2 ** 52;
  const updates = [Float32Array.of(1, -1), Float32Array.of(3, 1)];
  assertSameBits(fedAvg(updates, [big, BigInt(big) - 1n]), naiveFedAvg(updates, [big, big - 1]));
});

test('a zero weight ignores the update, but its NaN/Inf is still rejected', () => {
  assertSameBits(fedAvg([Float32Array.of(1), Float32Array.of(100)], [2, 0]), [1]);
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    assert.throws(() => fedAvg([Float32Array.of(1, 2), Float32Array.of(1, bad)], [1, 0]), {
      name: 'AggregateNonFiniteError',
      message: /Update 1 .* parameter 1/,
    });
  }
});

test('invalid input raises named errors', () => {
  const u = Float32Array.of(1, 2);
  assert.throws(() => fedAvg([], []), { name: 'AggregateEmptyError' });
  assert.throws(() => fedAvg([u, Float32Array.of(1)], [1, 1]), { name: 'AggregateLengthMismatchError' });
  assert.throws(() => fedAvg([u, u], [1]), { name: 'AggregateWeightCountError' });
  for (const w of [-1, 0.5, Number.NaN, 2 ** 53, -1n, 2n ** 53n]) {
    assert.throws(() => fedAvg([u], [w]), { name: 'AggregateInvalidWeightError' }, String(w));
  }
  assert.throws(() => fedAvg([u, u], [0, 0n]), { name: 'AggregateTotalWeightError' });
  assert.throws(() => fedAvg([u, u], [2 ** 52, 2 ** 52]), { name: 'AggregateTotalWeightError' });
});
