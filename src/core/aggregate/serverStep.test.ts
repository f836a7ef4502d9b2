import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_SERVER_LR, serverStep } from './serverStep.ts';
import { assertSameBits, seededUpdates } from './testUpdates.ts';

test('lr 1 returns the aggregate, lr 2 doubles the step from the base', () => {
  const base = Float32Array.of(1, -2, 0.5);
  const aggregated = Float32Array.of(1.5, -3, 0.5);
  assertSameBits(serverStep(base, aggregated, 1), [1.5, -3, 0.5]);
  assertSameBits(serverStep(base, aggregated, 2), [2, -4, 0.5]);
  assertSameBits(serverStep(base, aggregated, 0.5), [1.25, -2.5, 0.5]);
});

test('bit-identical to the stated float64 order on random vectors', () => {
  const [base, aggregated] = seededUpdates(7, 2, 1000) as [Float32Array, Float32Array];
  for (const lr of [0.3, 1, 1.7, 2, MAX_SERVER_LR]) {
    const expected = Array.from(base, (b, j) => Math.fround(b + lr * (aggregated[j]! - b)));
    assertSameBits(serverStep(base, aggregated, lr), expected);
  }
});

test('refuses a bad learning rate, mismatched lengths, NaN/Inf and an f32 overflow by name', () => {
  const v = Float32Array.of(1, 2);
  for (const lr of [0, -1, MAX_SERVER_LR * 2, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => serverStep(v, v, lr), { name: 'AggregateServerStepError' }, String(lr));
  }
  assert.throws(() => serverStep(v, Float32Array.of(1), 2), { name: 'AggregateLengthMismatchError' });
  assert.throws(() => serverStep(v, Float32Array.of(1, Number.NaN), 2), { name: 'AggregateNonFiniteError' });
  const big = Float32Array.of(-3e38);
  assert.throws(() => serverStep(big, Float32Array.of(3e38), 2), { name: 'AggregateServerStepError' });
});
