/** When to try a failed step again, and whether its failure is worth a log line. */
export type RetryDecision = {
  /** Chain time (unix seconds) before which the step is not tried again. */
  retryAt: number;
  /** False when the step failed the last time for the same reason (already logged). */
  newReason: boolean;
};

/**
 * Exponential back-off per key (a task id), in seconds of chain time — the
 * clock the worker's rounds compare against, so a node whose own clock is
 * off neither spins nor stalls. The delay doubles from `baseSeconds` to at
 * most `maxSeconds`; the last failure's reason is kept so a repeat is
 * counted but not logged again.
 */
export class RetryBackoff<K> {
  readonly #failures = new Map<K, { count: number; reason: string }>();
  readonly #baseSeconds: number;
  readonly #maxSeconds: number;

  /** Delays `baseSeconds`, 2×, 4×, … up to `maxSeconds`. */
  constructor(baseSeconds: number, maxSeconds: number) {
    this.#baseSeconds = baseSeconds;
    this.#maxSeconds = maxSeconds;
  }

  /** Records a failure for `reason` at chain time `now`. */
  failed(key: K, reason: string, now: number): RetryDecision {
    const last = this.#failures.get(key);
    const count = (last?.count ?? 0) + 1;
    this.#failures.set(key, { count, reason });
    const delay = Math.min(this.#maxSeconds, this.#baseSeconds * 2 ** Math.min(count - 1, 30));
    return { retryAt: now + delay, newReason: last?.reason !== reason };
  }

  /** Forgets `key` (it succeeded, or is no longer tried). */
  forget(key: K): void {
    this.#failures.delete(key);
  }
}
