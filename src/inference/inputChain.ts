import { concatHex, type Hex, keccak256, numberToHex } from 'viem';
import { vectorDigest } from '../core/digest.ts';
import { CacheWindowInvalidError } from './errors.ts';
import type { CacheWindow } from './exchange.ts';

const ZERO: Hex = `0x${'00'.repeat(32)}`;

/**
 * What an attention answer is bound to: the digests of every input row in the
 * shard's cache window, chained (link_i = keccak256(link_{i-1} ‖ digest of
 * row i), link_{-1} = 0), so the input digest a host signs names the whole
 * history its partial sum depends on, not only the newest rows. Host and
 * gateway keep one each and apply the same window operations; two answers
 * with the same input digest must then be equal, and a gateway cannot make an
 * honest host look like a liar by feeding it another history.
 */
export class InputChain {
  #rows: Hex[] = [];
  #links: Hex[] = [];

  /** Rows in the window. */
  get length(): number {
    return this.#rows.length;
  }

  /** Keeps rows [keepFrom, keepTo) (re-chaining them when the window's start moves); throws CacheWindowInvalidError. */
  applyWindow(window: CacheWindow): void {
    checkWindow(window, this.#rows.length);
    if (window.keepFrom === 0) {
      this.#rows.length = window.keepTo;
      this.#links.length = window.keepTo;
      return;
    }
    const kept = this.#rows.slice(window.keepFrom, window.keepTo);
    this.#rows = [];
    this.#links = [];
    this.#push(kept);
  }

  /** Appends `rows` rows of width `width` from `x` (row-major). */
  append(x: Float32Array, rows: number, width: number): void {
    const digests: Hex[] = [];
    for (let t = 0; t < rows; t++) digests.push(vectorDigest(x.subarray(t * width, (t + 1) * width)));
    this.#push(digests);
  }

  /** The input digest of an answer giving the window's last `outRows` rows: keccak256(last link ‖ uint32 outRows). */
  digest(outRows: number): Hex {
    return keccak256(concatHex([this.#links.at(-1) ?? ZERO, numberToHex(outRows, { size: 4 })]));
  }

  /** An independent copy (for a step that may be abandoned). */
  clone(): InputChain {
    const copy = new InputChain();
    copy.#rows = [...this.#rows];
    copy.#links = [...this.#links];
    return copy;
  }

  #push(digests: readonly Hex[]): void {
    for (const d of digests) {
      this.#links.push(keccak256(concatHex([this.#links.at(-1) ?? ZERO, d])));
      this.#rows.push(d);
    }
  }
}

/** Throws CacheWindowInvalidError unless 0 <= keepFrom <= keepTo <= length (integers). */
export function checkWindow(window: CacheWindow, length: number): void {
  const { keepFrom, keepTo } = window;
  if (
    !Number.isSafeInteger(keepFrom) ||
    !Number.isSafeInteger(keepTo) ||
    keepFrom < 0 ||
    keepFrom > keepTo ||
    keepTo > length
  ) {
    throw new CacheWindowInvalidError(
      `Cache window [${keepFrom}, ${keepTo}) does not fit a cache of ${length} entries.`,
    );
  }
}
