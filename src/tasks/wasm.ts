import type { Hex } from 'viem';
import { WasmRunAbortedError } from '../wasm/errors.ts';
import {
  WASM_MAX_FUEL,
  WASM_MAX_MEMORY_PAGES,
  WASM_MAX_OUTPUT_BYTES,
  WASM_RUNTIME_VERSION,
} from '../wasm/limits.ts';
import type { WasmRunRequest } from '../wasm/protocol.ts';
import { WasmRunner } from '../wasm/runner.ts';
import { type ValidatedModule, validateWasmModule } from '../wasm/validate.ts';
import { TaskAbortedError, TaskSpecError } from './errors.ts';
import { defineTaskKind, type TaskKind, throwIfTaskAborted } from './kind.ts';
import { digestField, integerField, oneOfField, specObject } from './specFields.ts';

/**
 * Spec of a `wasm` task: run the `entry` export of a WebAssembly module on
 * an input blob, metered, and return what it writes with `output_write`.
 */
export type WasmSpec = {
  kind: 'wasm';
  /** Version of the runtime's consensus rules (fuel costs, host API, NaN rule). */
  kernel: typeof WASM_RUNTIME_VERSION;
  /** Digest of the module binary (.wasm). */
  module: Hex;
  /** Digest of the input blob the module reads with `input_read`. */
  input: Hex;
  /** Name of the exported entry function, of type `() -> ()`. */
  entry: string;
  /** Instruction budget; the run fails with `WasmFuelExhaustedError` past it. */
  fuel: number;
  /** Largest linear memory in 64 KiB pages; `memory.grow` past it returns -1. */
  memoryPages: number;
  /** Largest output, in bytes. */
  maxOutputBytes: number;
  /** Seed of the `rng_next` stream: an unsigned 64-bit integer in decimal. */
  seed: string;
};

const KIND = 'wasm';
const FIELDS = [
  'kernel',
  'module',
  'input',
  'entry',
  'fuel',
  'memoryPages',
  'maxOutputBytes',
  'seed',
] as const;
const ENTRY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const U64_DECIMAL = /^(0|[1-9][0-9]{0,19})$/;

/** Validates a parsed JSON spec of a `wasm` task; throws `TaskSpecError`. */
export function parseWasmSpec(json: unknown): WasmSpec {
  const obj = specObject(json, KIND, FIELDS);
  const entry = obj.entry;
  if (typeof entry !== 'string' || !ENTRY_PATTERN.test(entry)) {
    throw new TaskSpecError("Spec field 'entry' must be an export name.", {
      details: `Got ${JSON.stringify(entry)}.`,
      hint: 'Use letters, digits and \'_\' (not starting with a digit), at most 64 characters, e.g. "run".',
    });
  }
  const seed = obj.seed;
  if (typeof seed !== 'string' || !U64_DECIMAL.test(seed) || BigInt(seed) >= 1n << 64n) {
    throw new TaskSpecError("Spec field 'seed' must be an unsigned 64-bit integer in decimal.", {
      details: `Got ${JSON.stringify(seed)}.`,
      hint: 'Write it as a string without leading zeros, e.g. "42".',
    });
  }
  return {
    kind: KIND,
    kernel: oneOfField(obj, 'kernel', [WASM_RUNTIME_VERSION] as const),
    module: digestField(obj, 'module'),
    input: digestField(obj, 'input'),
    entry,
    fuel: integerField(obj, 'fuel', 1, WASM_MAX_FUEL),
    memoryPages: integerField(obj, 'memoryPages', 0, WASM_MAX_MEMORY_PAGES),
    maxOutputBytes: integerField(obj, 'maxOutputBytes', 0, WASM_MAX_OUTPUT_BYTES),
    seed,
  };
}

/**
 * Checks a module against its spec before a task is created, so a malformed
 * module is refused up front (the named `Wasm*` error of `validateWasmModule`).
 */
export function checkWasmTaskModule(spec: WasmSpec, module: Uint8Array): ValidatedModule {
  return validateWasmModule(module, { entry: spec.entry, memoryPages: spec.memoryPages });
}

/** The runner request of a spec and its blobs. */
export function wasmRunRequest(spec: WasmSpec, module: Uint8Array, input: Uint8Array): WasmRunRequest {
  return {
    module,
    input,
    entry: spec.entry,
    fuel: BigInt(spec.fuel),
    memoryPages: spec.memoryPages,
    maxOutputBytes: spec.maxOutputBytes,
    seed: BigInt(spec.seed),
  };
}

/**
 * A `wasm` task kind running on `runner`: the result blob is the module's
 * output bytes. Every failure is a named error (`WasmFuelExhaustedError`,
 * `WasmTrapError`, `WasmOutputTooLargeError`, a validation error, ...), the
 * same on every honest node, so such a task fails rather than splitting
 * the vote.
 */
export function createWasmTaskKind(runner: WasmRunner): TaskKind<WasmSpec> {
  return defineTaskKind<WasmSpec>({
    name: KIND,
    parseSpec: parseWasmSpec,
    inputs(spec) {
      return [spec.module, spec.input];
    },
    async checkInputs(spec, getBlob) {
      checkWasmTaskModule(spec, await getBlob(spec.module));
    },
    async run(spec, ctx) {
      throwIfTaskAborted(ctx.signal);
      const [module, input] = await Promise.all([ctx.getBlob(spec.module), ctx.getBlob(spec.input)]);
      throwIfTaskAborted(ctx.signal);
      try {
        return (await runner.run(wasmRunRequest(spec, module, input), ctx.signal)).output;
      } catch (err) {
        if (err instanceof WasmRunAbortedError)
          throw new TaskAbortedError('Task run was cancelled.', { cause: err });
        throw err;
      }
    },
  });
}

/** The built-in `wasm` task kind, on a shared runner (its worker starts on the first run). */
export const wasmKind: TaskKind<WasmSpec> = createWasmTaskKind(new WasmRunner());
