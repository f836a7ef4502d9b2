/**
 * The wasm runner's worker thread (started through bin/worker.mjs): for each
 * request it validates and meters the module, runs it and replies with the
 * output or the named error.
 */
import { setFlagsFromString } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { executeWasm } from './execute.ts';
import { prepareWasmModule } from './instrument.ts';
import { serializeError, type WasmRunRequest, type WorkerReply } from './protocol.ts';

// A task's entry is called once, and V8 cannot move a running wasm frame from
// its baseline tier (Liftoff) to the optimizing one, so a long run would stay
// in baseline code (1.4-2.5x slower here). Compile with TurboFan up front.
// The flag is process-wide; it changes compile tiers only, never results
// (NaN bits, which tiers may differ in, are canonicalized by metering).
setFlagsFromString('--no-liftoff');

parentPort?.on('message', (req: WasmRunRequest) => {
  let reply: WorkerReply;
  try {
    const prepared = prepareWasmModule(req.module, { entry: req.entry, memoryPages: req.memoryPages });
    reply = { ok: true, result: executeWasm(prepared, req) };
  } catch (err) {
    reply = { ok: false, error: serializeError(err) };
  }
  parentPort?.postMessage(reply);
});
parentPort?.postMessage('ready');
