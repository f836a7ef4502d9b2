import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { TensorNonFiniteError } from './codecErrors.ts';
import type { Tensor } from './tensor.ts';
import { assertFinite, isDType } from './tensorChecks.ts';
import { arbElement } from './testTensors.ts';

const NON_FINITE = {
  f32: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
  f16: [0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xffff],
  bf16: [0x7f80, 0xff80, 0x7fc0, 0x7f81, 0xffff],
} as const;

for (const dtype of ['f32', 'f16', 'bf16'] as const) {
  test(`${dtype}: assertFinite finds the first non-finite element at any length and alignment`, () => {
    const scenario = fc.record({
      values: fc.array(arbElement(dtype), { maxLength: 40 }),
      offset: fc.integer({ min: 0, max: 3 }),
      bad: fc.option(fc.tuple(fc.nat(), fc.constantFrom(...NON_FINITE[dtype]), fc.nat()), { nil: undefined }),
    });
    fc.assert(
      fc.property(scenario, ({ values, offset, bad }) => {
        const Ctor = dtype === 'f32' ? Float32Array : Uint16Array;
        const backing = new Ctor(values.length + offset + 1);
        const data = backing.subarray(offset, offset + values.length);
        data.set(values);
        let expected = -1;
        if (bad !== undefined && values.length > 0) {
          const [at, value, second] = bad;
          expected = at % values.length;
          data[expected] = value;
          // A later non-finite element must not change which one is reported.
          data[expected + (second % (values.length - expected))] = value;
        }
        const t = { dtype, shape: [values.length], data } as Tensor;
        if (expected === -1) assertFinite(t);
        else {
          assert.throws(
            () => assertFinite(t),
            (err: TensorNonFiniteError) => err.name === 'TensorNonFiniteError' && err.index === expected,
          );
        }
      }),
      { numRuns: 500 },
    );
  });
}

test('assertFinite accepts every integer tensor and negative zero', () => {
  assertFinite({ dtype: 'i32', shape: [2], data: Int32Array.of(-1, 0x7f800000) });
  assertFinite({ dtype: 'i8', shape: [1], data: Int8Array.of(-1) });
  assertFinite({ dtype: 'f32', shape: [1], data: Float32Array.of(-0) });
  assertFinite({ dtype: 'f16', shape: [1], data: Uint16Array.of(0x8000) });
});

test('isDType knows exactly the five dtypes', () => {
  for (const dtype of ['f32', 'f16', 'bf16', 'i8', 'i32']) assert.ok(isDType(dtype));
  for (const other of ['f64', 'toString', '__proto__', '', 1, null]) assert.ok(!isDType(other));
});
