/**
 * Serializes the transactions one account sends from one process. The
 * worker and the API both send from the node's account, and two sends at
 * once would pick the same nonce; every sender runs inside `run`.
 */
export type TxLock = { run<T>(fn: () => Promise<T>): Promise<T> };

/** Creates a lock whose `run` executes functions one at a time, in call order. */
export function createTxLock(): TxLock {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      const result = tail.then(fn, fn);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}
