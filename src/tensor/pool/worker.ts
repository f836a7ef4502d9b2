/**
 * A kernel pool worker thread: instantiates the kernels on the shared memory,
 * then sleeps on its wake-up word and, for each call, claims and computes
 * chunks of output rows until none are left (see control.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { instantiateKernels } from '../wasm/module.ts';
import type { WasmMemory, WasmModule } from '../wasm/webAssemblyApi.ts';
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

const data = workerData as PoolWorkerData;
const memory = data.memory as WasmMemory;
const kernels = instantiateKernels(data.kernels as WasmModule, memory);
const ctl = new Int32Array(memory.buffer, data.control, SLOTS);
const shared = new Int32Array(memory.buffer, data.shared, SLOTS);
const claim = new BigInt64Array(memory.buffer, data.shared, 1);

// The main thread zeroes the control slots before starting the worker, so 0 is the
// last request seen; reading SEQ here instead could miss a request sent right after 'ready'.
let seen = 0;
parentPort?.postMessage('ready');
for (;;) {
  waitWhileEqual(ctl, SEQ, seen); // calls come back to back while a token decodes: poll briefly, then sleep
  const seq = Atomics.load(ctl, SEQ);
  if (seq === STOP) break;
  if (seq === seen) continue;
  seen = seq;
  // Read the arguments only once the claim word shows this call still open (see claimChunk).
  const open = Atomics.load(claim, CLAIM);
  if (Number(open >> 32n) !== seq || (open & 0xffffffffn) === CALL_OVER) continue;
  const a = (i: number): number => shared[ARGS + i]!;
  const [outDim, chunk, chunks] = [a(5), a(ARG_CHUNK), a(ARG_CHUNKS)];
  for (let c = claimChunk(claim, seq, chunks); c >= 0; c = claimChunk(claim, seq, chunks)) {
    try {
      kernels.linear(
        a(0),
        a(1),
        a(2),
        a(3),
        a(4),
        outDim,
        a(6),
        c * chunk,
        Math.min(outDim, (c + 1) * chunk),
      );
    } catch {
      Atomics.store(shared, FAILED, 1);
    }
    Atomics.add(shared, DONE_CHUNKS, 1);
    Atomics.notify(shared, DONE_CHUNKS);
  }
}
