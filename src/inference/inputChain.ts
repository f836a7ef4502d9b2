import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, type Hex, hexToBytes } from 'viem';
import { vectorDigest } from '../core/digest.ts';
import { type CacheWindow, checkWindow } from './exchange.ts';

const ZERO = new Uint8Array(32);

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
  #rows: Uint8Array[] = [];
  #links: Uint8Array[] = [];

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
    const digests: Uint8Array[] = [];
    for (let t = 0; t < rows; t++) {
      digests.push(hexToBytes(vectorDigest(x.subarray(t * width, (t + 1) * width))));
    }
    this.#push(digests);
  }

  /** The input digest of an answer giving the window's last `outRows` rows: keccak256(last link ‖ uint32 outRows). */
  digest(outRows: number): Hex {
    const message = new Uint8Array(36);
    message.set(this.#links.at(-1) ?? ZERO, 0);
    new DataView(message.buffer).setUint32(32, outRows);
    return bytesToHex(keccak_256(message));
  }

  #push(digests: readonly Uint8Array[]): void {
    const pair = new Uint8Array(64);
    for (const d of digests) {
      pair.set(this.#links.at(-1) ?? ZERO, 0);
      pair.set(d, 32);
      this.#links.push(keccak_256(pair));
      this.#rows.push(d);
    }
  }
}
