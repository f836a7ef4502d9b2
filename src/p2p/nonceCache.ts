/**
 * Remembers request nonces until they expire, so each signed request is
 * served at most once. Bounded: when full of unexpired nonces it refuses new
 * ones rather than forgetting any (forgetting would reopen a replay).
 */
export class NonceCache {
  readonly #expiries = new Map<string, number>();
  readonly #maxEntries: number;

  /** `maxEntries` bounds memory; see the class comment. */
  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /**
   * Records `key` valid until `expiresAt` (seconds). Returns `fresh` for a
   * new key, `replayed` for one seen before, `full` when it cannot remember more.
   */
  remember(key: string, expiresAt: number, nowSeconds: number): 'fresh' | 'replayed' | 'full' {
    if (this.has(key, nowSeconds)) return 'replayed';
    if (this.#expiries.size >= this.#maxEntries) this.#prune(nowSeconds);
    if (this.#expiries.size >= this.#maxEntries) return 'full';
    this.#expiries.set(key, expiresAt);
    return 'fresh';
  }

  /** Whether `key` is remembered and not yet expired. */
  has(key: string, nowSeconds: number): boolean {
    const seen = this.#expiries.get(key);
    return seen !== undefined && seen >= nowSeconds;
  }

  /** Number of nonces remembered. */
  get size(): number {
    return this.#expiries.size;
  }

  #prune(nowSeconds: number): void {
    for (const [key, expiry] of this.#expiries) if (expiry < nowSeconds) this.#expiries.delete(key);
  }
}
