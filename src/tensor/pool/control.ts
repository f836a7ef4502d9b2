/**
 * The control block through which the main thread hands one `linear` row
 * range to each pool worker: Int32 slots in the shared kernel memory, woken
 * and awaited with Atomics.wait/notify (no message passing per call).
 */

/** Sequence number of the latest request; the worker runs a request when it changes. -1 stops the worker. */
export const SEQ = 0;
/** Sequence number of the latest finished request. */
export const DONE = 1;
/** 0 when the finished request succeeded, 1 when it threw. */
export const STATUS = 2;
/** The 9 integer arguments of the kernels' `linear(x, w, bias, T, inDim, outDim, out, i0, i1)`. */
export const ARGS = 4;
/** Int32 slots per worker (one 64-byte cache line, so workers never share a line). */
export const SLOTS = 16;
/** The SEQ value that tells a worker to exit its loop. */
export const STOP = -1;

/** What a pool worker receives as workerData. */
export type PoolWorkerData = {
  /** The worker's own module, imported by bin/worker.mjs. */
  module: string;
  kernels: unknown;
  memory: unknown;
  /** Byte offset of this worker's control slots in the shared memory. */
  control: number;
};
