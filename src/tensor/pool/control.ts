/**
 * The control block through which the main thread hands one `linear` call to
 * the pool workers: slots in the shared kernel memory, woken and awaited with
 * Atomics.wait/notify (no message passing per call). Every thread, the
 * caller's included, claims chunks of output rows from one shared claim word
 * until none are left, so a thread that wakes late or is descheduled by other
 * load takes fewer chunks. The claim word carries the call's sequence number:
 * once a call is over, a late worker can no longer claim anything of it, and
 * the caller never waits for a worker that did not start.
 *
 * Layout: one shared 64-byte line (the claim word, counters and the call's
 * arguments), then one line per worker holding its wake-up word.
 */

/** BigInt64 index of the claim word in the shared line: (sequence number << 32) | next chunk index. */
export const CLAIM = 0;
/** Int32 index in the shared line: chunks of the current call finished so far. */
export const DONE_CHUNKS = 2;
/** Int32 index in the shared line: set to 1 when a worker's kernel threw. */
export const FAILED = 3;
/**
 * Int32 index in the shared line of the call's arguments: the first 7
 * integer arguments of the kernels' `linear(x, w, bias, T, inDim, outDim,
 * out, i0, i1)`, then the chunk size in rows and the number of chunks.
 */
export const ARGS = 4;
/** Index of the chunk size among the ARGS slots. */
export const ARG_CHUNK = 7;
/** Index of the number of chunks among the ARGS slots. */
export const ARG_CHUNKS = 8;
/** Int32 slots of the shared line, and of each worker's line. */
export const SLOTS = 16;
/** Int32 index in a worker's line: the latest call's sequence number; STOP stops the worker. */
export const SEQ = 0;
/** The SEQ value that tells a worker to exit its loop. */
export const STOP = -1;
/** A chunk index no call reaches: the caller stores it when the call is over. */
export const CALL_OVER = 0xffffffffn;

/**
 * Claims the next chunk of call `seq` with `chunks` chunks: its index, or -1
 * when every chunk is taken or the call is over (or another call began).
 * A worker must read the call's arguments after seeing `seq` in the claim
 * word and before claiming: a successful compare-exchange then proves they
 * were the arguments of `seq` (the caller rewrites them only after CALL_OVER).
 */
export function claimChunk(claim: BigInt64Array, seq: number, chunks: number): number {
  for (;;) {
    const current = Atomics.load(claim, CLAIM);
    if (Number(current >> 32n) !== seq) return -1;
    const index = Number(current & 0xffffffffn);
    if (index >= chunks) return -1;
    if (Atomics.compareExchange(claim, CLAIM, current, current + 1n) === current) return index;
  }
}

/** What a pool worker receives as workerData. */
export type PoolWorkerData = {
  /** The worker's own module, imported by bin/worker.mjs. */
  module: string;
  kernels: unknown;
  memory: unknown;
  /** Byte offset of this worker's line in the shared memory. */
  control: number;
  /** Byte offset of the shared line (64-byte aligned) in the shared memory. */
  shared: number;
};

/**
 * How often a thread polls before it sleeps in Atomics.wait: the caller for
 * the workers' last chunks (they usually finish within a chunk's time, sooner
 * than a futex wake-up), a worker for the next call (while a token decodes,
 * the next matrix product follows within microseconds; a sleeping worker
 * would wake only after the caller had done much of a small product alone).
 * About 20–50 µs, so an idle pool costs nothing noticeable.
 */
const SPIN_CHECKS = 20_000;

/**
 * Returns once `ctl[index]` is no longer `value` (or after `timeoutMs`): polls
 * SPIN_CHECKS times, then sleeps in Atomics.wait. Returns Atomics.wait's result.
 */
export function waitWhileEqual(
  ctl: Int32Array,
  index: number,
  value: number,
  timeoutMs = Number.POSITIVE_INFINITY,
): 'ok' | 'not-equal' | 'timed-out' {
  for (let i = 0; i < SPIN_CHECKS; i++) if (Atomics.load(ctl, index) !== value) return 'not-equal';
  return Atomics.wait(ctl, index, value, timeoutMs);
}
