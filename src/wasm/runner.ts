import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import {
  WasmRunAbortedError,
  WasmRunnerClosedError,
  WasmRunnerCrashedError,
  WasmTimeoutError,
} from './errors.ts';
import type { WasmExecutionResult } from './execute.ts';
import { deserializeError, type WasmRunRequest, type WorkerReply } from './protocol.ts';

/** Options of a `WasmRunner`. */
export type WasmRunnerOptions = {
  /** Wall-clock backstop per run in ms (fuel is the real limit). Default 10 minutes. */
  timeoutMs?: number;
};

const DEFAULT_TIMEOUT_MS = 600_000;
/** Stack of the worker thread: room for WASM_MAX_CALL_DEPTH frames of several KiB each. */
const WORKER_STACK_MB = 16;
const WORKER_ENTRY = new URL('../../bin/worker.mjs', import.meta.url);
const WORKER_MODULE = new URL('./worker.ts', import.meta.url).href;

/**
 * Runs wasm task modules one at a time in a worker thread, so a runaway
 * module cannot block or crash the node. Each run is validated, metered and
 * executed in the worker; its named error (fuel, trap, output size...)
 * comes back as the same class. When the wall-clock backstop fires, the
 * signal aborts or the worker dies, the worker is terminated and the next
 * run gets a fresh one. An idle runner does not keep the process alive.
 */
export class WasmRunner {
  readonly #timeoutMs: number;
  #worker: Promise<Worker> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  /** Creates a runner; its worker starts on the first run. */
  constructor(options: WasmRunnerOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Runs one request after the ones already queued. */
  run(request: WasmRunRequest, signal?: AbortSignal): Promise<WasmExecutionResult> {
    if (this.#closed) return Promise.reject(new WasmRunnerClosedError('The wasm runner is closed.'));
    const result = this.#queue.then(() => this.#runNow(request, signal));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Stops the worker; later runs reject with `WasmRunnerClosedError`. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await (await worker.catch(() => undefined))?.terminate();
  }

  async #runNow(request: WasmRunRequest, signal: AbortSignal | undefined): Promise<WasmExecutionResult> {
    if (signal?.aborted)
      throw new WasmRunAbortedError('The wasm run was cancelled.', { cause: signal.reason });
    this.#worker ??= startWorker();
    let worker: Worker;
    try {
      worker = await this.#worker;
    } catch (err) {
      this.#worker = undefined;
      throw err;
    }
    worker.ref();
    try {
      return await this.#exchange(worker, request, signal);
    } finally {
      worker.unref();
    }
  }

  #exchange(
    worker: Worker,
    request: WasmRunRequest,
    signal: AbortSignal | undefined,
  ): Promise<WasmExecutionResult> {
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        cleanup();
        this.#worker = undefined;
        void worker.terminate();
        reject(err);
      };
      const onMessage = (reply: WorkerReply) => {
        cleanup();
        if (reply.ok) resolve(reply.result);
        else reject(deserializeError(reply.error));
      };
      const onError = (err: unknown) =>
        fail(
          new WasmRunnerCrashedError('The wasm worker thread failed.', { cause: err, details: String(err) }),
        );
      const onExit = (code: number) =>
        fail(new WasmRunnerCrashedError(`The wasm worker thread exited with code ${code}.`));
      const onAbort = () =>
        fail(new WasmRunAbortedError('The wasm run was cancelled.', { cause: signal?.reason }));
      const timer = setTimeout(
        () =>
          fail(
            new WasmTimeoutError(`The wasm run took longer than ${this.#timeoutMs} ms and was stopped.`, {
              hint: "Lower the spec's fuel; the time limit is only a backstop.",
            }),
          ),
        this.#timeoutMs,
      );
      const cleanup = () => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.postMessage(request);
    });
  }
}

async function startWorker(): Promise<Worker> {
  // execArgv: [] because loader flags do not carry over to workers on Node 20; bin/worker.mjs registers tsx.
  const worker = new Worker(WORKER_ENTRY, {
    workerData: { module: WORKER_MODULE },
    execArgv: [],
    resourceLimits: { stackSizeMb: WORKER_STACK_MB },
  });
  try {
    const [msg] = await Promise.race([
      once(worker, 'message'),
      once(worker, 'error').then(([err]) => Promise.reject(err)),
    ]);
    if (msg !== 'ready') throw new Error(`unexpected first message ${String(msg)}`);
  } catch (cause) {
    await worker.terminate();
    throw new WasmRunnerCrashedError('The wasm worker thread failed to start.', {
      cause,
      details: String(cause),
    });
  }
  worker.unref();
  return worker;
}
