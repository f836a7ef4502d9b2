/**
 * Concord's own exp, log and tanh for f32 values. Engine-provided Math.exp,
 * Math.log and Math.tanh are not bit-reproducible across engines, so these use
 * only IEEE-exact operations (+ - * /, Math.floor, exact powers of two and
 * bit reinterpretation) in a fixed f64 sequence, then round once to f32.
 * The WebAssembly build (scripts/build/kernels.mjs) emits the very same
 * sequence; docs/kernels.md writes it down. Each scalar function first rounds
 * its argument to f32.
 */

const fround = Math.fround;

/** ln 2 split so that k * LN2_HI is exact for |k| < 2^11 (fdlibm's constants). */
export const LN2_HI = 0.6931471803691238;
/** The remainder ln 2 - LN2_HI. */
export const LN2_LO = 1.9082149292705877e-10;
/** ln 2 as the nearest f64. */
export const LN2 = Math.LN2;
/** 1 / ln 2 as the nearest f64. */
export const INV_LN2 = Math.LOG2E;
/** sqrt(2) as the nearest f64, the upper bound of the reduced log argument. */
export const SQRT2 = Math.SQRT2;

/** Taylor coefficients 1/n! for n = 2..10 of e^r - 1 = r (1 + r (1/2 + r (1/6 + ...))). */
export const EXPM1_COEFFS: readonly number[] = [
  1 / 2,
  1 / 6,
  1 / 24,
  1 / 120,
  1 / 720,
  1 / 5040,
  1 / 40320,
  1 / 362880,
  1 / 3628800,
];
/** Coefficients 1/(2n+1) for n = 1..6 of atanh(s)/s = 1 + z (1/3 + z (1/5 + ...)), z = s^2. */
export const ATANH_COEFFS: readonly number[] = [1 / 3, 1 / 5, 1 / 7, 1 / 9, 1 / 11, 1 / 13];

/** Below this every f32 exp is +0; above EXP_MAX every f32 exp is +Inf. */
export const EXP_MIN = -110;
/** See EXP_MIN. */
export const EXP_MAX = 100;
/** Above this |x|, tanh(x) rounds to +-1 in f32. */
export const TANH_SATURATE = 20;

/** 2^k for integer k in [-170, 170], built by exact doubling. */
const POW2_OFFSET = 170;
const POW2 = new Float64Array(2 * POW2_OFFSET + 1);
POW2[POW2_OFFSET] = 1;
for (let k = 1; k <= POW2_OFFSET; k++) {
  POW2[POW2_OFFSET + k] = POW2[POW2_OFFSET + k - 1]! * 2;
  POW2[POW2_OFFSET - k] = POW2[POW2_OFFSET - k + 1]! / 2;
}

/** e^r - 1 for |r| <= ln2/2 (+tiny), in f64: Horner over EXPM1_COEFFS from the highest term. */
function expm1Reduced(r: number): number {
  let p = EXPM1_COEFFS[8]!;
  for (let i = 7; i >= 0; i--) p = EXPM1_COEFFS[i]! + r * p;
  return r * (1 + r * p);
}

/** k = floor(u / ln2 + 1/2) as an f64 integer; u is finite and within [EXP_MIN, EXP_MAX]. */
function reduceK(u: number): number {
  return Math.floor(u * INV_LN2 + 0.5);
}

/** The reduced argument u - k ln2 in two exact-product steps. */
function reduceR(u: number, k: number): number {
  return u - k * LN2_HI - k * LN2_LO;
}

/** Concord's exp of an f32 value, rounded to f32 (<= 1 ulp from the true value). */
export function expF32(x: number): number {
  x = fround(x);
  if (Number.isNaN(x)) return x;
  if (x < EXP_MIN) return 0;
  if (x > EXP_MAX) return Number.POSITIVE_INFINITY;
  const k = reduceK(x);
  const e = 1 + expm1Reduced(reduceR(x, k));
  return fround(e * POW2[POW2_OFFSET + k]!);
}

const bitsF32 = new Float32Array(1);
const bitsU32 = new Uint32Array(bitsF32.buffer);

/** Concord's natural log of an f32 value, rounded to f32 (NaN below 0, -Inf at 0). */
export function logF32(x: number): number {
  x = fround(x);
  if (Number.isNaN(x) || x < 0) return Number.NaN;
  if (x === 0) return Number.NEGATIVE_INFINITY;
  if (x === Number.POSITIVE_INFINITY) return x;
  bitsF32[0] = x;
  let bits = bitsU32[0]!;
  let e = (bits >>> 23) - 127;
  if (e === -127) {
    // Subnormal: scale by 2^23 (exact) into the normal range.
    bitsF32[0] = x * 8388608;
    bits = bitsU32[0]!;
    e = (bits >>> 23) - 150;
  }
  bitsU32[0] = (bits & 0x7fffff) | 0x3f800000;
  let m = bitsF32[0]!;
  if (m > SQRT2) {
    m = m / 2;
    e = e + 1;
  }
  const f = m - 1;
  const s = f / (2 + f);
  const z = s * s;
  let p = ATANH_COEFFS[5]!;
  for (let i = 4; i >= 0; i--) p = ATANH_COEFFS[i]! + z * p;
  const logm = 2 * s * (1 + z * p);
  return fround(e * LN2 + logm);
}

/** Concord's tanh of an f32 value, rounded to f32, via expm1(2|x|) with the sign restored. */
export function tanhF32(x: number): number {
  x = fround(x);
  if (Number.isNaN(x) || x === 0) return x;
  const a = x < 0 ? -x : x;
  let t = 1;
  if (a <= TANH_SATURATE) {
    const u = 2 * a;
    const k = reduceK(u);
    const em1 = expm1Reduced(reduceR(u, k));
    const e = k === 0 ? em1 : (1 + em1) * POW2[POW2_OFFSET + k]! - 1;
    t = e / (e + 2);
  }
  return fround(x < 0 ? -t : t);
}
