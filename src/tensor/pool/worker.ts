/**
 * A kernel pool worker thread: instantiates the kernels on the shared memory,
 * then waits on its control slots for row ranges of `linear` to compute.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { instantiateKernels } from '../wasm/module.ts';
import type { WasmMemory, WasmModule } from '../wasm/webAssemblyApi.ts';
import { ARGS, DONE, type PoolWorkerData, SEQ, SLOTS, STATUS, STOP } from './control.ts';

const data = workerData as PoolWorkerData;
const memory = data.memory as WasmMemory;
const kernels = instantiateKernels(data.kernels as WasmModule, memory);
const ctl = new Int32Array(memory.buffer, data.control, SLOTS);

// The main thread zeroes the control slots before starting the worker, so 0 is the
// last request seen; reading SEQ here instead could miss a request sent right after 'ready'.
let seen = 0;
parentPort?.postMessage('ready');
for (;;) {
  Atomics.wait(ctl, SEQ, seen);
  const seq = Atomics.load(ctl, SEQ);
  if (seq === STOP) break;
  if (seq === seen) continue;
  seen = seq;
  let status = 0;
  try {
    const a = (i: number): number => ctl[ARGS + i]!;
    kernels.linear(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8));
  } catch {
    status = 1;
  }
  Atomics.store(ctl, STATUS, status);
  Atomics.store(ctl, DONE, seq);
  Atomics.notify(ctl, DONE);
}
