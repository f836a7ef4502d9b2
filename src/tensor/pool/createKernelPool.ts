import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { checkDim, checkLinear, checkMatmul } from '../checks.ts';
import { KernelPoolError } from '../errors.ts';
import { type KernelRuntime, kernelRuntime } from '../wasm/runtime.ts';
import {
  ARG_CHUNK,
  ARG_CHUNKS,
  ARGS,
  CALL_OVER,
  CLAIM,
  claimChunk,
  DONE_CHUNKS,
  FAILED,
  type PoolWorkerData,
  SEQ,
  SLOTS,
  STOP,
  waitWhileEqual,
} from './control.ts';

/** How long the main thread waits for the rows a worker has claimed before giving up. */
const WORKER_TIMEOUT_MS = 600_000;
const WORKER_ENTRY = new URL('../../../bin/worker.mjs', import.meta.url);
const WORKER_MODULE = new URL('./worker.ts', import.meta.url).href;
/** Chunks per thread and call: enough to even out a late start, few enough to keep the counter cold. */
const CHUNKS_PER_THREAD = 8;

/**
 * Row-parallel `linear`, `matvec`, `matmul` and `matmulTransA` on `threads`
 * threads (the caller's thread plus threads - 1 workers) over the shared
 * kernel memory. Every output element is still one canonical dot, so the bytes
 * equal the single-threaded kernels'. Calls are synchronous; arrays from
 * allocF32 are used without copying.
 */
export type KernelPool = {
  readonly threads: number;
  /** True once close() was called. */
  readonly isClosed: boolean;
  linear(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    T: number,
    inDim: number,
    outDim: number,
    out: Float32Array,
  ): void;
  matvec(w: Float32Array, x: Float32Array, rows: number, cols: number, out: Float32Array): void;
  matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, out: Float32Array): void;
  matmulTransA(a: Float32Array, b: Float32Array, m: number, k: number, n: number, out: Float32Array): void;
  /** Stops the workers; the pool cannot be used afterwards. */
  close(): Promise<void>;
};

/** Starts a kernel pool of `threads` threads (>= 1; 2 suits a 2-core machine). */
export async function createKernelPool(threads: number): Promise<KernelPool> {
  checkDim('createKernelPool', 'threads', threads);
  if (threads < 1) throw new KernelPoolError(`threads must be >= 1 (got ${threads})`);
  const rt = kernelRuntime();
  const nWorkers = threads - 1;
  const controlInts = (1 + nWorkers) * SLOTS;
  const controlPtr = rt.heap.allocate(controlInts * 4);
  const control = new Int32Array(rt.heap.memory.buffer, controlPtr, controlInts);
  control.fill(0);
  const workers: Worker[] = [];
  let failure: unknown = null;
  try {
    for (let k = 0; k < nWorkers; k++) {
      const workerData: PoolWorkerData = {
        module: WORKER_MODULE,
        kernels: rt.module,
        memory: rt.heap.memory,
        control: controlPtr + (1 + k) * SLOTS * 4,
        shared: controlPtr,
      };
      // execArgv: [] because loader flags such as `--import tsx` do not carry over to workers on Node 20;
      // bin/worker.mjs registers the loader itself.
      const worker = new Worker(WORKER_ENTRY, { workerData, execArgv: [] });
      worker.on('error', (err) => {
        failure = err;
      });
      worker.on('exit', () => {
        failure ??= new Error('worker exited');
      });
      workers.push(worker);
    }
    await Promise.all(
      workers.map(async (w) => {
        const [msg] = await Promise.race([
          once(w, 'message'),
          once(w, 'error').then(([e]) => Promise.reject(e)),
        ]);
        if (msg !== 'ready') throw new Error(`unexpected worker message ${String(msg)}`);
      }),
    );
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    rt.heap.release(controlPtr);
    throw new KernelPoolError('a worker thread failed to start', err);
  }
  for (const w of workers) w.unref();
  return new Pool(rt, threads, workers, control, controlPtr, () => failure);
}

class Pool implements KernelPool {
  private seq = 0;
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  private readonly claim: BigInt64Array;

  constructor(
    private readonly rt: KernelRuntime,
    readonly threads: number,
    private readonly workers: Worker[],
    private readonly control: Int32Array,
    private readonly controlPtr: number,
    private readonly failure: () => unknown,
  ) {
    this.claim = new BigInt64Array(control.buffer, controlPtr, 1);
  }

  linear(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    T: number,
    inDim: number,
    outDim: number,
    out: Float32Array,
  ): void {
    checkLinear('linear', x, w, bias, T, inDim, outDim, out);
    const staged = this.rt.staging.stage([x, w, bias], [out]);
    const [px, pw, pb, po] = staged.ptrs;
    this.parallelLinear(px!, pw!, pb!, T, inDim, outDim, po!);
    staged.finish();
  }

  matvec(w: Float32Array, x: Float32Array, rows: number, cols: number, out: Float32Array): void {
    checkLinear('matvec', x, w, null, 1, cols, rows, out);
    const staged = this.rt.staging.stage([x, w], [out]);
    const [px, pw, po] = staged.ptrs;
    this.parallelLinear(px!, pw!, 0, 1, cols, rows, po!);
    staged.finish();
  }

  matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, out: Float32Array): void {
    checkMatmul('matmul', a, b, m, k, n, out);
    const { heap, exports } = this.rt;
    const staged = this.rt.staging.stage([a, b], [out]);
    const [pa, pb, po] = staged.ptrs;
    const bt = heap.allocate(n * k * 4);
    try {
      exports.transpose(pb!, k, n, bt);
      this.parallelLinear(pa!, bt, 0, m, k, n, po!);
    } finally {
      heap.release(bt);
    }
    staged.finish();
  }

  matmulTransA(a: Float32Array, b: Float32Array, m: number, k: number, n: number, out: Float32Array): void {
    checkMatmul('matmulTransA', a, b, m, k, n, out);
    const { heap, exports } = this.rt;
    const staged = this.rt.staging.stage([a, b], [out]);
    const [pa, pb, po] = staged.ptrs;
    const at = heap.allocate((m + n) * k * 4);
    const bt = at + m * k * 4;
    try {
      exports.transpose(pa!, k, m, at);
      exports.transpose(pb!, k, n, bt);
      this.parallelLinear(at, bt, 0, m, k, n, po!);
    } finally {
      heap.release(at);
    }
    staged.finish();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const exits = this.workers.map((w) => {
      w.ref();
      return once(w, 'exit');
    });
    for (let k = 0; k < this.workers.length; k++) {
      const base = (1 + k) * SLOTS;
      Atomics.store(this.control, base + SEQ, STOP);
      Atomics.notify(this.control, base + SEQ);
    }
    await Promise.all(exits);
    this.rt.heap.release(this.controlPtr);
  }

  /**
   * Computes output rows [0, outDim) on every thread: each claims chunks of
   * rows (multiples of 4) until none are left; this thread then waits only
   * for chunks that workers have claimed and not finished yet.
   */
  private parallelLinear(
    x: number,
    w: number,
    bias: number,
    T: number,
    inDim: number,
    outDim: number,
    out: number,
  ) {
    if (this.closed) throw new KernelPoolError('the pool is closed');
    const failed = this.failure();
    if (failed !== null) throw new KernelPoolError('a worker thread died', failed);
    const chunk = Math.max(4, Math.ceil(outDim / (this.threads * CHUNKS_PER_THREAD) / 4) * 4);
    const chunks = Math.ceil(outDim / chunk);
    const seq = ++this.seq;
    const ctl = this.control;
    const args = [x, w, bias, T, inDim, outDim, out];
    for (let i = 0; i < args.length; i++) ctl[ARGS + i] = args[i]!;
    ctl[ARGS + ARG_CHUNK] = chunk;
    ctl[ARGS + ARG_CHUNKS] = chunks;
    Atomics.store(ctl, DONE_CHUNKS, 0);
    Atomics.store(this.claim, CLAIM, BigInt(seq) << 32n); // opens the call
    for (let k = 0; k < this.workers.length; k++) {
      const base = (1 + k) * SLOTS;
      Atomics.store(ctl, base + SEQ, seq);
      Atomics.notify(ctl, base + SEQ);
    }
    const linear = this.rt.exports.linear;
    for (let c = claimChunk(this.claim, seq, chunks); c >= 0; c = claimChunk(this.claim, seq, chunks)) {
      linear(x, w, bias, T, inDim, outDim, out, c * chunk, Math.min(outDim, (c + 1) * chunk));
      Atomics.add(ctl, DONE_CHUNKS, 1);
    }
    for (let done = Atomics.load(ctl, DONE_CHUNKS); done < chunks; done = Atomics.load(ctl, DONE_CHUNKS)) {
      if (waitWhileEqual(ctl, DONE_CHUNKS, done, WORKER_TIMEOUT_MS) === 'timed-out') {
        throw new KernelPoolError(`a worker did not finish its rows within ${WORKER_TIMEOUT_MS} ms`);
      }
    }
    Atomics.store(this.claim, CLAIM, (BigInt(seq) << 32n) | CALL_OVER); // late workers claim nothing
    if (Atomics.exchange(ctl, FAILED, 0) !== 0) throw new KernelPoolError('a worker failed in a kernel');
  }
}
