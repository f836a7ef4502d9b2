import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './halfFloat.ts';

const hex = (bits: number) => `0x${bits.toString(16).padStart(4, '0')}`;

test('f32ToF16 matches known binary16 bit patterns', () => {
  const cases: Array<[number, number]> = [
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest finite f16
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [0.1, 0x2e66],
    [1 / 3, 0x3555],
    [0, 0x0000],
    [-0, 0x8000],
    [Number.POSITIVE_INFINITY, 0x7c00],
    [Number.NEGATIVE_INFINITY, 0xfc00],
    [Number.NaN, 0x7e00],
  ];
  for (const [value, bits] of cases) assert.equal(hex(f32ToF16(value)), hex(bits), `f32ToF16(${value})`);
});

test('f32ToF16 rounds ties to even, overflows to Infinity and underflows to zero', () => {
  const cases: Array<[number, number]> = [
    [1 + 2 ** -11, 0x3c00], // tie between 0x3c00 and 0x3c01: even is 0x3c00
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02: even is 0x3c02
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
    [65519, 0x7bff], // below the overflow threshold
    [65520, 0x7c00], // tie between 65504 and 2^16: rounds to even, which is Infinity
    [-65520, 0xfc00],
    [1e6, 0x7c00],
    [2 ** -25, 0x0000], // tie between 0 and the smallest subnormal: even is 0
    [-(2 ** -25), 0x8000],
    [1.5 * 2 ** -25, 0x0001],
    [3 * 2 ** -25, 0x0002], // tie between subnormals 1 and 2: even is 2
    [2 ** -26, 0x0000],
    [1.401298464324817e-45, 0x0000], // smallest f32 subnormal
    [2 ** -14 - 2 ** -25, 0x0400], // rounds up from the largest subnormal into the smallest normal
  ];
  for (const [value, bits] of cases) assert.equal(hex(f32ToF16(value)), hex(bits), `f32ToF16(${value})`);
});

test('f16ToF32 gives the exact value of known patterns', () => {
  assert.equal(f16ToF32(0x3c00), 1);
  assert.equal(f16ToF32(0xc000), -2);
  assert.equal(f16ToF32(0x7bff), 65504);
  assert.equal(f16ToF32(0x0001), 2 ** -24);
  assert.equal(f16ToF32(0x03ff), 1023 * 2 ** -24);
  assert.equal(f16ToF32(0x0400), 2 ** -14);
  assert.equal(f16ToF32(0x3555), 0.333251953125);
  assert.ok(Object.is(f16ToF32(0x8000), -0));
  assert.ok(Object.is(f16ToF32(0x0000), 0));
  assert.equal(f16ToF32(0x7c00), Number.POSITIVE_INFINITY);
  assert.equal(f16ToF32(0xfc00), Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(f16ToF32(0x7e00)));
  assert.ok(Number.isNaN(f16ToF32(0xfc01)));
});

test('every non-NaN f16 pattern survives f16 -> f32 -> f16 (exhaustive)', () => {
  for (let bits = 0; bits < 0x10000; bits++) {
    const value = f16ToF32(bits);
    const isNaNPattern = (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
    if (isNaNPattern) assert.ok(Number.isNaN(value), hex(bits));
    else if (f32ToF16(value) !== bits) assert.fail(`${hex(bits)} -> ${value} -> ${hex(f32ToF16(value))}`);
  }
});

test('f32ToF16 picks the nearest f16 and the even one on ties (random f32 in range)', () => {
  fc.assert(
    fc.property(fc.float({ noNaN: true, min: -65519, max: 65519 }), (x) => {
      const bits = f32ToF16(x);
      const magnitude = bits & 0x7fff;
      const error = Math.abs(Math.abs(x) - f16ToF32(magnitude));
      for (const neighbour of [magnitude - 1, magnitude + 1]) {
        if (neighbour < 0 || neighbour > 0x7bff) continue;
        const other = Math.abs(Math.abs(x) - f16ToF32(neighbour));
        assert.ok(error < other || (error === other && (magnitude & 1) === 0), `${x} -> ${hex(bits)}`);
      }
      assert.equal(bits & 0x8000, Object.is(x, -0) || x < 0 ? 0x8000 : 0);
    }),
    { numRuns: 5000 },
  );
});

test('f32ToBf16 matches known bfloat16 bit patterns and rounds ties to even', () => {
  const cases: Array<[number, number]> = [
    [1, 0x3f80],
    [-2, 0xc000],
    [65504, 0x4780], // 65504 rounds to 65536 in bf16
    [3.3895313892515355e38, 0x7f7f], // largest finite bf16
    [3.4028234663852886e38, 0x7f80], // largest f32 rounds up to Infinity
    [2 ** -133, 0x0001], // smallest bf16 subnormal
    [1 + 2 ** -8, 0x3f80], // tie: even is 0x3f80
    [1 + 3 * 2 ** -8, 0x3f82], // tie: even is 0x3f82
    [1 + 2 ** -8 + 2 ** -20, 0x3f81],
    [-0, 0x8000],
    [Number.POSITIVE_INFINITY, 0x7f80],
    [Number.NEGATIVE_INFINITY, 0xff80],
    [Number.NaN, 0x7fc0],
  ];
  for (const [value, bits] of cases) assert.equal(hex(f32ToBf16(value)), hex(bits), `f32ToBf16(${value})`);
});

test('every non-NaN bf16 pattern survives bf16 -> f32 -> bf16 (exhaustive)', () => {
  assert.equal(bf16ToF32(0x3f80), 1);
  assert.equal(bf16ToF32(0xc000), -2);
  assert.equal(bf16ToF32(0x0001), 2 ** -133);
  for (let bits = 0; bits < 0x10000; bits++) {
    const value = bf16ToF32(bits);
    const isNaNPattern = (bits & 0x7f80) === 0x7f80 && (bits & 0x7f) !== 0;
    if (isNaNPattern) assert.ok(Number.isNaN(value), hex(bits));
    else if (f32ToBf16(value) !== bits) assert.fail(`${hex(bits)} -> ${value} -> ${hex(f32ToBf16(value))}`);
  }
});

test('f32ToBf16 equals truncation when the dropped bits are below half', () => {
  const u32 = new Uint32Array(1);
  const f32 = new Float32Array(u32.buffer);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0x7fff }), (high, low) => {
      fc.pre((high & 0x7f80) !== 0x7f80);
      u32[0] = (high << 16) | low;
      assert.equal(f32ToBf16(f32[0]!), high);
    }),
  );
});

test('f32ToBf16 picks the nearest bf16 and the even one on ties (random f32 in range)', () => {
  fc.assert(
    fc.property(fc.float({ noNaN: true, min: Math.fround(-3.3e38), max: Math.fround(3.3e38) }), (x) => {
      const bits = f32ToBf16(x);
      const magnitude = bits & 0x7fff;
      const error = Math.abs(Math.abs(x) - bf16ToF32(magnitude));
      for (const neighbour of [magnitude - 1, magnitude + 1]) {
        if (neighbour < 0 || neighbour > 0x7f7f) continue;
        const other = Math.abs(Math.abs(x) - bf16ToF32(neighbour));
        assert.ok(error < other || (error === other && (magnitude & 1) === 0), `${x} -> ${hex(bits)}`);
      }
    }),
    { numRuns: 5000 },
  );
});

test('a JS double is rounded to f32 first, then to f16 (documented double rounding)', () => {
  // 1 + 2^-11 + 2^-30 is just above the f16 tie, but as f32 it is exactly the tie, which rounds to even.
  assert.equal(hex(f32ToF16(1 + 2 ** -11 + 2 ** -30)), hex(0x3c00));
  assert.equal(hex(f32ToF16(1 + 2 ** -11 + 2 ** -20)), hex(0x3c01));
});
