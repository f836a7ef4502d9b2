/**
 * Exact conversions between 32-bit floats and the two 16-bit float formats,
 * working on bit patterns only (no `Math.pow`, no tables), so every engine
 * gives identical results.
 *
 * - f16 is IEEE 754 binary16: 1 sign, 5 exponent, 10 mantissa bits.
 * - bf16 is bfloat16: the upper 16 bits of a binary32 (1 sign, 8 exponent, 7 mantissa bits).
 *
 * Narrowing rounds to nearest, ties to even, exactly as IEEE 754 prescribes:
 * values too large for the format become ±Infinity, values too small become
 * ±0 or subnormals, and NaN becomes the quiet NaN with the input's sign. The
 * tensor codec rejects the resulting NaN/Infinity at its boundary; these
 * functions do not throw. The input of `f32ToF16`/`f32ToBf16` is first rounded
 * to binary32 (`Math.fround`), so a JS double goes through f32 on its way.
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Returns the binary32 bit pattern of `value` rounded to f32. */
function f32Bits(value: number): number {
  scratchF32[0] = value;
  return scratchU32[0]!;
}

/** Returns the number whose binary32 bit pattern is `bits`. */
function f32FromBits(bits: number): number {
  scratchU32[0] = bits;
  return scratchF32[0]!;
}

/** 2^-24, the smallest positive f16 subnormal (binary32 pattern 0x33800000). */
const F16_SUBNORMAL_UNIT = f32FromBits(0x3380_0000);

/** Rounds `value` to f32 and then to the nearest f16 (ties to even); returns the 16-bit pattern. */
export function f32ToF16(value: number): number {
  const bits = f32Bits(value);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7f_ffff;
  if (exponent === 0xff) return sign | (mantissa === 0 ? 0x7c00 : 0x7e00);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal f16 (or zero): keep the implicit leading bit and shift it down.
    if (halfExponent < -10) return sign;
    const significand = mantissa | 0x80_0000;
    const shift = 14 - halfExponent;
    return sign | roundShiftRight(significand, shift);
  }
  // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
  return sign | roundShiftRight((halfExponent << 23) | mantissa, 13);
}

/** Shifts `value` right by `shift` bits (1..24), rounding to nearest, ties to even. */
function roundShiftRight(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** Returns the exact value of the f16 bit pattern `bits` (NaN and ±Infinity included). */
export function f16ToF32(bits: number): number {
  const sign = (bits & 0x8000) << 16;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return f32FromBits(sign | 0x7f80_0000 | (mantissa << 13));
  if (exponent !== 0) return f32FromBits(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  // Subnormal or zero: mantissa * 2^-24, exact because 2^-24 is a power of two.
  const magnitude = mantissa * F16_SUBNORMAL_UNIT;
  return sign === 0 ? magnitude : -magnitude;
}

/** Rounds `value` to f32 and then to the nearest bf16 (ties to even); returns the 16-bit pattern. */
export function f32ToBf16(value: number): number {
  const bits = f32Bits(value);
  if ((bits & 0x7f80_0000) === 0x7f80_0000 && (bits & 0x7f_ffff) !== 0)
    return ((bits >>> 16) & 0x8000) | 0x7fc0;
  // Adding 0x7fff plus the lowest kept bit rounds to nearest, ties to even; a carry reaches Infinity correctly.
  return (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
}

/** Returns the exact value of the bf16 bit pattern `bits`. */
export function bf16ToF32(bits: number): number {
  return f32FromBits((bits & 0xffff) << 16);
}
