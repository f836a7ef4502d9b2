import assert from 'node:assert/strict';
import fc from 'fast-check';

/** Test helper: asserts two f32 vectors are identical bit for bit (distinguishing -0 and +0). */
export function assertSameBits(actual: Float32Array, expected: readonly number[] | Float32Array): void {
  assert.equal(actual.length, expected.length, 'length');
  const want = Float32Array.from(expected);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let j = 0; j < a.length; j++) {
    if (a[j] !== b[j]) assert.fail(`coordinate ${j}: got ${actual[j]}, expected ${want[j]}`);
  }
}

/** Test helper: `n` finite-f32 updates of `length` parameters from a seeded xorshift generator. */
export function seededUpdates(seed: number, n: number, length: number, scale = 1): Float32Array[] {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32 - 0.5;
  };
  return Array.from({ length: n }, () => Float32Array.from({ length }, () => next() * scale));
}

/** Test helper: fast-check arbitrary of 1..maxCount updates of one shared length, finite f32 values incl. -0. */
export function updatesArb(minCount = 1, maxCount = 9): fc.Arbitrary<Float32Array[]> {
  return fc.integer({ min: 0, max: 24 }).chain((length) =>
    fc.array(
      fc.oneof(
        fc.float32Array({ noNaN: true, noDefaultInfinity: true, minLength: length, maxLength: length }),
        // Few distinct values, so ties and equal values are frequent.
        fc
          .array(fc.constantFrom(-1, -0, 0, 0.5, 2, 3), { minLength: length, maxLength: length })
          .map((a) => Float32Array.from(a)),
      ),
      { minLength: minCount, maxLength: maxCount },
    ),
  );
}

/** Test helper: the values of coordinate `j`, -0 mapped to +0, sorted ascending with plain Array.sort. */
export function sortedColumn(updates: readonly Float32Array[], j: number): number[] {
  return updates.map((u) => u[j]! + 0).sort((a, b) => a - b);
}
