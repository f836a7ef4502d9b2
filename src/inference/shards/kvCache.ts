import {
  allocBuffer,
  freeBuffer,
  KvCacheFullError,
  type KvTarget,
  type Placement,
} from '../../model/index.ts';
import { type CacheWindow, checkWindow } from '../exchange.ts';

/**
 * The keys and values of one attention shard's head group in one session:
 * per head `capacity` slots (the context length) of headDim, laid out
 * (heads, capacity, headDim) like the model's own cache, of which the first
 * `length` are filled. The buffers (heads·headDim·capacity·2 floats) are
 * allocated on first use, once; with placement 'kernel' call `dispose()`.
 */
export class HeadGroupCache {
  readonly heads: number;
  readonly headDim: number;
  readonly capacity: number;
  readonly #placement: Placement;
  #k: Float32Array | undefined;
  #v: Float32Array | undefined;
  #length = 0;

  /** An empty cache of `heads` heads of `headDim`, holding up to `capacity` entries. */
  constructor(heads: number, headDim: number, capacity: number, placement: Placement = 'js') {
    this.heads = heads;
    this.headDim = headDim;
    this.capacity = capacity;
    this.#placement = placement;
  }

  /** Number of filled entries; the next appended row goes to this slot. */
  get length(): number {
    return this.#length;
  }

  /**
   * Throws unless `window` can be applied and `rows` appended after it:
   * CacheWindowInvalidError for a window outside [0, length], KvCacheFullError
   * when the kept entries plus the rows exceed the capacity. Changes nothing.
   */
  checkAppend(window: CacheWindow, rows: number): void {
    checkWindow(window, this.#length);
    const { keepFrom, keepTo } = window;
    if (keepTo - keepFrom + rows > this.capacity) throw new KvCacheFullError(this.capacity);
  }

  /** Keeps entries [keepFrom, keepTo), moved to slots 0..; throws like `checkAppend(window, 0)`. */
  applyWindow(window: CacheWindow): void {
    this.checkAppend(window, 0);
    const { keepFrom, keepTo } = window;
    if (keepFrom > 0 && keepTo > keepFrom) {
      const [k, v] = this.#buffers();
      const hd = this.headDim;
      for (let h = 0; h < this.heads; h++) {
        const head = h * this.capacity;
        k.copyWithin(head * hd, (head + keepFrom) * hd, (head + keepTo) * hd);
        v.copyWithin(head * hd, (head + keepFrom) * hd, (head + keepTo) * hd);
      }
    }
    this.#length = keepTo - keepFrom;
  }

  /**
   * Claims the next `rows` slots and returns where their keys and values go
   * (for `splitHeads`); throws KvCacheFullError if they do not fit.
   */
  append(rows: number): KvTarget {
    if (this.#length + rows > this.capacity) throw new KvCacheFullError(this.capacity);
    const [k, v] = this.#buffers();
    const offset = this.#length;
    this.#length += rows;
    return { k, v, capacity: this.capacity, offset };
  }

  /** Frees the buffers if they live in kernel memory; the cache starts empty if used again. */
  dispose(): void {
    if (this.#k) freeBuffer(this.#k);
    if (this.#v) freeBuffer(this.#v);
    this.#k = undefined;
    this.#v = undefined;
    this.#length = 0;
  }

  #buffers(): [Float32Array, Float32Array] {
    if (!this.#k || !this.#v) {
      const size = this.heads * this.capacity * this.headDim;
      this.#k = allocBuffer(size, this.#placement);
      this.#v = allocBuffer(size, this.#placement);
    }
    return [this.#k, this.#v];
  }
}
