import type { Hex } from 'viem';
import type { CacheWindow } from './exchange.ts';
import { InputChain } from './inputChain.ts';

/**
 * The gateway's copy of one layer's attention window in one session: the
 * input rows the hosts' caches were built from (so a host that joins mid-
 * session, or lost its cache, is sent the whole window) and their digest
 * chain (so the gateway knows the input digest every host of the layer signs).
 * Grows as the window does.
 */
export class AttnHistory {
  readonly #width: number;
  #rows = new Float32Array(0);
  #length = 0;
  #chain = new InputChain();

  /** An empty window of rows `width` wide. */
  constructor(width: number) {
    this.#width = width;
  }

  /** Rows in the window. */
  get length(): number {
    return this.#length;
  }

  /** The window's rows (length × width), a view valid until the next change. */
  get rows(): Float32Array {
    return this.#rows.subarray(0, this.#length * this.#width);
  }

  /**
   * Applies `window`, appends `x` (rows × width), and returns the input digest
   * of an answer giving the last `outRows` rows. Throws CacheWindowInvalidError
   * for a window that does not fit (nothing changed then).
   */
  advance(window: CacheWindow, x: Float32Array, rows: number, outRows: number): Hex {
    const w = this.#width;
    this.#chain.applyWindow(window);
    this.#chain.append(x, rows, w);
    const kept = window.keepTo - window.keepFrom;
    const length = kept + rows;
    if (window.keepFrom > 0) this.#rows.copyWithin(0, window.keepFrom * w, window.keepTo * w);
    if (length * w > this.#rows.length) {
      const grown = new Float32Array(Math.max(length * w, 2 * this.#rows.length, 16 * w));
      grown.set(this.#rows.subarray(0, kept * w));
      this.#rows = grown;
    }
    this.#rows.set(x.subarray(0, rows * w), kept * w);
    this.#length = length;
    return this.#chain.digest(outRows);
  }
}
