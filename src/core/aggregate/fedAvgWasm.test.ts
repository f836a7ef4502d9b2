import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FEDAVG_WASM_MIN_VALUES, fedAvg } from './fedAvg.ts';
import { fedAvgReference } from './fedAvgReference.ts';
import { fedAvgWasm, fedAvgWasmAvailable } from './fedAvgWasm.ts';
import { assertSameBits, seededUpdates, updatesArb } from './testUpdates.ts';

/** Both paths on the same input: identical bits, or the same error name and message. */
function assertSamePaths(updates: readonly Float32Array[], weights: readonly (number | bigint)[]): void {
  let expected: Float32Array | Error;
  try {
    expected = fedAvgReference(updates, weights);
  } catch (err) {
    expected = err as Error;
  }
  if (expected instanceof Error) {
    assert.throws(() => fedAvgWasm(updates, weights), { name: expected.name, message: expected.message });
  } else {
    assertSameBits(fedAvgWasm(updates, weights), expected);
  }
}

test('loads aggregate.wasm', () => assert.equal(fedAvgWasmAvailable, true));

test('property: bit-identical to the TypeScript reference on random updates and weights', () => {
  const weight = fc.oneof(
    fc.integer({ min: 0, max: 1000 }),
    fc.integer({ min: 0, max: 2 ** 40 }),
    fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
  );
  fc.assert(
    fc.property(
      updatesArb(1, 20).chain((updates) =>
        fc.tuple(
          fc.constant(updates),
          fc.array(weight, { minLength: updates.length, maxLength: updates.length }),
        ),
      ),
      ([updates, weights]) => assertSamePaths(updates, weights),
    ),
    { numRuns: 400 },
  );
});

test('bit-identical across block boundaries, odd lengths and many updates (small blocks)', () => {
  // 16 updates give 4096-coordinate blocks; 300 give 208; 5000 give the minimum of 16 (one step).
  for (const [n, length] of [
    [1, 1],
    [3, 7],
    [16, 4096 * 2 + 13],
    [9, 8192 * 3 + 5],
    [300, 208 * 3 + 1],
    [5000, 21],
  ] as const) {
    const updates = seededUpdates(n * 31 + length, n, length, 1000);
    const weights = updates.map((_, i) => (i * 7919) % 1001);
    weights[0] = 1;
    assertSamePaths(updates, weights);
  }
});

test('bit-identical on extreme values: near the f32 maximum, subnormals, signed zeros', () => {
  const max = 3.4028234663852886e38;
  const tiny = 1.401298464324817e-45;
  const updates = [
    Float32Array.of(max, -max, tiny, -0, 0, -tiny, max, 1e-40, 3, -0),
    Float32Array.of(max, max, tiny, -0, -0, -tiny, -max, 1e-40, -3, -0),
    Float32Array.of(-max, max, -tiny, -0, 0, tiny, max, -1e-40, 1, -0),
  ];
  for (const weights of [
    [1, 1, 1],
    [2 ** 52, 1, 0],
    [0, 5, 0],
  ]) {
    assertSamePaths(updates, weights);
  }
});

test('rejects NaN and Inf anywhere like the reference, also in the last, padded block and with weight 0', () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    for (const position of [0, 4095, 4096, 8202]) {
      const updates = seededUpdates(5, 3, 8203);
      updates[2]![position] = bad;
      assert.throws(() => fedAvgWasm(updates, [1, 2, 0]), {
        name: 'AggregateNonFiniteError',
        message: new RegExp(`Update 2 .* parameter ${position}\\.`),
      });
    }
  }
});

test('invalid input raises the reference errors', () => {
  const u = Float32Array.of(1, 2);
  assert.throws(() => fedAvgWasm([], []), { name: 'AggregateEmptyError' });
  assert.throws(() => fedAvgWasm([u, Float32Array.of(1)], [1, 1]), { name: 'AggregateLengthMismatchError' });
  assert.throws(() => fedAvgWasm([u, u], [1]), { name: 'AggregateWeightCountError' });
  assert.throws(() => fedAvgWasm([u], [0.5]), { name: 'AggregateInvalidWeightError' });
  assert.throws(() => fedAvgWasm([u, u], [0, 0n]), { name: 'AggregateTotalWeightError' });
});

test('fedAvg gives the reference bits on both sides of the WebAssembly threshold', () => {
  for (const length of [FEDAVG_WASM_MIN_VALUES / 4 - 1, FEDAVG_WASM_MIN_VALUES / 4 + 3]) {
    const updates = seededUpdates(length, 4, length, 10);
    assertSameBits(fedAvg(updates, [4, 3, 2, 1]), fedAvgReference(updates, [4, 3, 2, 1]));
  }
});
