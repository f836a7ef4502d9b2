import type { Address } from 'viem';
import { HOST_COOLDOWN_MS } from './constants.ts';

/**
 * What a gateway remembers about hosts across sessions: a host that failed a
 * call or timed out is avoided for a cool-down (sessions opened meanwhile
 * start with its standbys), so every new session does not pay the same
 * timeout again. The clock is injectable for tests.
 */
export class HostHealth {
  readonly #until = new Map<Address, number>();
  readonly #cooldownMs: number;
  readonly #now: () => number;

  /** Cool-down default HOST_COOLDOWN_MS. */
  constructor(options: { cooldownMs?: number; now?: () => number } = {}) {
    this.#cooldownMs = options.cooldownMs ?? HOST_COOLDOWN_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Records a failure of `host`: it cools down from now. */
  failed(host: Address): void {
    this.#until.set(host, this.#now() + this.#cooldownMs);
  }

  /** Whether `host` is cooling down after a recent failure. */
  cooling(host: Address): boolean {
    const until = this.#until.get(host);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#until.delete(host);
    return false;
  }
}
