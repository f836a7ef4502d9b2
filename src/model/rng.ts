import { logF32 } from '../tensor/math.ts';
import { InvalidSeedError } from './errors.ts';

/** 2^-32 and 2^-53, exact powers of two. */
const TWO_POW_32 = 4294967296;
const TWO_POW_NEG_53 = 1 / 9007199254740992;

/** splitmix32 finalizer: a bijective 32-bit mix. */
function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Concord's seeded random generator: xoshiro128** on 32-bit integers, its
 * state filled by splitmix32 from `(seed, stream)`. Only integer operations
 * and exact f64 arithmetic, so every node draws the same numbers. A seed and a
 * stream id name the sequence in task specs; independent streams (one per
 * parameter tensor, one per sampling session) come from the stream id.
 */
export class Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /** `seed` is an integer in [0, 2^53); `stream` an integer in [0, 2^32). */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new InvalidSeedError('seed', `must be an integer in [0, 2^53) (got ${seed})`);
    }
    if (!Number.isInteger(stream) || stream < 0 || stream >= TWO_POW_32) {
      throw new InvalidSeedError('stream', `must be an integer in [0, 2^32) (got ${stream})`);
    }
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    let x = (mix32(lo) ^ mix32((hi + 0x6a09e667) >>> 0) ^ mix32((stream + 0xbb67ae85) >>> 0)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      return mix32(x);
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next() | 1; // never the all-zero state
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    const s0 = this.#s0;
    const s1 = this.#s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= s0;
    this.#s3 ^= s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextU32() >>> 5; // 27 bits
    const b = this.nextU32() >>> 6; // 26 bits
    return (a * 67108864 + b) * TWO_POW_NEG_53;
  }

  /** A uniform integer in [0, n) without modulo bias (rejection sampling). */
  below(n: number): number {
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const r = this.nextU32();
      if (r < limit) return r % n;
    }
  }

  /**
   * Fills `out` with normal samples of mean 0 and standard deviation `std`
   * (Marsaglia's polar method: pairs (u, v) uniform in the unit disc, then
   * u·sqrt(-2 ln s / s) with s = u² + v² rounded to f32, using the project's
   * own `logF32`, so no engine-defined function is involved).
   */
  fillNormal(out: Float32Array, std: number): void {
    for (let i = 0; i < out.length; i += 2) {
      let u: number;
      let v: number;
      let s: number;
      do {
        u = 2 * this.uniform() - 1;
        v = 2 * this.uniform() - 1;
        s = Math.fround(u * u + v * v);
      } while (s >= 1 || s === 0);
      const f = std * Math.sqrt((-2 * logF32(s)) / s);
      out[i] = u * f;
      if (i + 1 < out.length) out[i + 1] = v * f;
    }
  }
}
