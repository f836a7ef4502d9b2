import { Worker } from 'node:worker_threads';
import type { Hex } from 'viem';
import { createTaskKindRegistry } from './builtin.ts';
import { mapContext } from './kind.ts';

/**
 * Runs built-in task kinds outside the network (training scripts, tools):
 * in this thread, or spread over worker threads so that a round's
 * independent tasks use every core. Both give the same bytes: a task's
 * result depends only on its spec and input blobs.
 */

/** Runs task `kind` on a JSON spec with its input blobs by digest; resolves to the result bytes. */
export type TaskRunner = (
  kind: string,
  spec: unknown,
  blobs: ReadonlyMap<Hex, Uint8Array>,
) => Promise<Uint8Array>;

/** Runs tasks in the calling thread with the built-in kinds. */
export function inThreadRunner(): TaskRunner {
  const registry = createTaskKindRegistry();
  return async (kind, spec, blobs) => {
    const taskKind = registry.get(kind);
    return taskKind.run(taskKind.parseSpec(spec), mapContext(blobs));
  };
}

/** A message to a task thread and its answer. */
export type TaskThreadRequest = { kind: string; spec: unknown; blobs: [Hex, Uint8Array][] };
export type TaskThreadReply = { result: Uint8Array } | { error: { name: string; message: string } };

const WORKER_ENTRY = new URL('../../bin/worker.mjs', import.meta.url);
const WORKER_MODULE = new URL('./taskThread.ts', import.meta.url).href;

/** Worker threads that run tasks one at a time each; `close()` ends them. */
export type TaskThreadPool = { run: TaskRunner; close(): Promise<void> };

/** One worker thread and the reply it owes, if any. */
type TaskThread = {
  worker: Worker;
  pending?: { resolve(reply: TaskThreadReply): void; reject(err: unknown): void } | undefined;
};

/** Starts a worker thread whose replies and failures settle the task it is running. */
function startTaskThread(): TaskThread {
  // execArgv: [] because loader flags do not carry over to workers on Node 20; bin/worker.mjs registers tsx.
  const worker = new Worker(WORKER_ENTRY, { workerData: { module: WORKER_MODULE }, execArgv: [] });
  const thread: TaskThread = { worker };
  const settle = (fn: (p: NonNullable<TaskThread['pending']>) => void) => {
    const pending = thread.pending;
    thread.pending = undefined;
    if (pending) fn(pending);
  };
  worker.on('message', (reply: TaskThreadReply) => settle((p) => p.resolve(reply)));
  worker.on('error', (err) => settle((p) => p.reject(err)));
  worker.on('exit', (code) => settle((p) => p.reject(new Error(`task thread exited with code ${code}`))));
  return thread;
}

/** Starts `threads` worker threads running the built-in kinds. */
export function createTaskThreadPool(threads: number): TaskThreadPool {
  const all = Array.from({ length: threads }, startTaskThread);
  const idle = [...all];
  const waiting: ((t: TaskThread) => void)[] = [];
  const acquire = (): Promise<TaskThread> => {
    const thread = idle.pop();
    return thread ? Promise.resolve(thread) : new Promise((resolve) => waiting.push(resolve));
  };
  const release = (thread: TaskThread): void => {
    const next = waiting.shift();
    if (next) next(thread);
    else idle.push(thread);
  };
  return {
    async run(kind, spec, blobs) {
      const thread = await acquire();
      try {
        const reply = await new Promise<TaskThreadReply>((resolve, reject) => {
          thread.pending = { resolve, reject };
          const request: TaskThreadRequest = { kind, spec, blobs: [...blobs] };
          thread.worker.postMessage(request);
        });
        if ('error' in reply) throw Object.assign(new Error(reply.error.message), { name: reply.error.name });
        return reply.result;
      } finally {
        release(thread);
      }
    },
    async close() {
      await Promise.all(all.map((t) => t.worker.terminate()));
    },
  };
}
