import type { Address } from 'viem';

/**
 * The credits a gateway has promised to sessions it admitted and not settled
 * yet, per querier. A querier's deposit for the gateway must cover all of them
 * at once, so concurrent sessions cannot spend one deposit twice (the later
 * settlements would fail, and their hosts would have worked for nothing).
 */
export class CreditReservations {
  readonly #reserved = new Map<string, bigint>();
  #queue: Promise<void> = Promise.resolve();

  /** The credits of `querier` promised to open sessions. */
  of(querier: Address): bigint {
    return this.#reserved.get(querier.toLowerCase()) ?? 0n;
  }

  /**
   * Promises `amount` more credits of `querier` once `check(needed)` resolves,
   * `needed` being the caps of its open sessions plus `amount` (the check reads
   * the deposit and throws when it holds less). Reservations are decided one at
   * a time, so two sessions never both count the same credits. Resolves to the
   * function that gives the credits back (once); rejects with `check`'s error.
   */
  async reserve(
    querier: Address,
    amount: bigint,
    check: (needed: bigint) => Promise<void>,
  ): Promise<() => void> {
    const decided = this.#queue.then(async () => {
      await check(this.of(querier) + amount);
      return this.#hold(querier, amount);
    });
    this.#queue = decided.then(
      () => undefined,
      () => undefined,
    );
    return await decided;
  }

  #hold(querier: Address, amount: bigint): () => void {
    const key = querier.toLowerCase();
    this.#reserved.set(key, this.of(querier) + amount);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const left = this.of(querier) - amount;
      if (left === 0n) this.#reserved.delete(key);
      else this.#reserved.set(key, left);
    };
  }
}
