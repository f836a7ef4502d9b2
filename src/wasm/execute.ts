import { BaseError } from '../core/errors.ts';
import {
  WasmCallDepthError,
  WasmFuelExhaustedError,
  WasmInvalidModuleError,
  WasmStackOverflowError,
  WasmTrapError,
} from './errors.ts';
import { createHostSession } from './hostApi.ts';
import { DEPTH_EXPORT, FUEL_EXPORT, MEMORY_EXPORT, WASM_MAX_CALL_DEPTH } from './limits.ts';
import {
  type WasmCompiledModule,
  type WasmGlobalValue,
  type WasmImportObject,
  type WasmLinearMemory,
  WebAssemblyRuntime,
} from './webAssembly.ts';

/** One run of a prepared module. */
export type WasmExecution = {
  /** The entry export to call. */
  entry: string;
  /** The input blob, read through `input_len`/`input_read`. */
  input: Uint8Array;
  /** The most bytes `output_write` may write in total. */
  maxOutputBytes: number;
  /** Seed of the `rng_next` stream (u64). */
  seed: bigint;
  /** Fuel budget; ignored by a module prepared without metering. */
  fuel: bigint;
};

/** What a run produced. */
export type WasmExecutionResult = {
  /** The bytes written with `output_write`. */
  output: Uint8Array;
  /** Fuel the run used (0 for an unmetered module). */
  fuelUsed: bigint;
  /** Size of the linear memory at the end, in 64 KiB pages. */
  memoryPages: number;
};

const PAGE_BYTES = 65_536;

/**
 * Runs a module made by `prepareWasmModule` on this thread, synchronously.
 * Traps become named errors: `WasmFuelExhaustedError` when the fuel counter
 * went negative, `WasmCallDepthError` past the call depth limit,
 * `WasmStackOverflowError`, `WasmTrapError` otherwise; the
 * host API raises `WasmOutputTooLargeError` and its own `WasmTrapError`s.
 * Run it in a worker (see `WasmRunner`) so a runaway module cannot block
 * the node.
 */
export function executeWasm(prepared: Uint8Array, run: WasmExecution): WasmExecutionResult {
  const session = createHostSession(run);
  const exports = instantiate(prepared, session.imports);
  const fuel = exports[FUEL_EXPORT] as WasmGlobalValue | undefined;
  const memory = exports[MEMORY_EXPORT] as WasmLinearMemory | undefined;
  if (fuel) fuel.value = run.fuel;
  session.bind(memory, fuel);
  const entry = exports[run.entry] as () => void;
  try {
    entry();
  } catch (err) {
    throw runError(err, fuel, exports[DEPTH_EXPORT] as WasmGlobalValue | undefined, pagesOf(memory));
  }
  return {
    output: session.output(),
    fuelUsed: fuel ? run.fuel - (fuel.value as bigint) : 0n,
    memoryPages: pagesOf(memory),
  };
}

/** Compiles and instantiates; an engine refusal or a failed data/element initializer is a named error. */
function instantiate(prepared: Uint8Array, imports: WasmImportObject): Record<string, unknown> {
  let module: WasmCompiledModule;
  try {
    module = new WebAssemblyRuntime.Module(prepared);
  } catch (cause) {
    throw new WasmInvalidModuleError('The engine refused to compile the module.', {
      details: String(cause),
      hint: 'The module passed validation but exceeds an engine limit (e.g. too many locals); make it smaller.',
    });
  }
  try {
    return new WebAssemblyRuntime.Instance(module, imports).exports;
  } catch (cause) {
    throw new WasmTrapError('The module trapped while being instantiated.', {
      details: String(cause),
      hint: 'Check that its data and element segments fit its initial memory and table.',
    });
  }
}

function pagesOf(memory: WasmLinearMemory | undefined): number {
  return (memory?.buffer.byteLength ?? 0) / PAGE_BYTES;
}

function runError(
  err: unknown,
  fuel: WasmGlobalValue | undefined,
  depth: WasmGlobalValue | undefined,
  memoryPages: number,
): unknown {
  if (err instanceof BaseError) return err;
  if (fuel && (fuel.value as bigint) < 0n) {
    return new WasmFuelExhaustedError('The run used up its fuel and was stopped.', {
      details: `Memory was at ${memoryPages} pages.`,
      hint: "Raise the spec's fuel, or check the module for an endless loop.",
    });
  }
  if (depth && (depth.value as number) > WASM_MAX_CALL_DEPTH) {
    return new WasmCallDepthError(`The run nested calls deeper than ${WASM_MAX_CALL_DEPTH}.`, {
      hint: 'Reduce recursion depth, e.g. turn the recursion into a loop with an explicit stack in memory.',
    });
  }
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return new WasmStackOverflowError('The module overflowed the call stack.', {
      hint: 'Reduce recursion depth; the stack limit is an engine setting, so deep recursion is not portable.',
      cause: err,
    });
  }
  if (err instanceof WebAssemblyRuntime.RuntimeError) {
    return new WasmTrapError(`The module trapped: ${err.message}.`, {
      details: `Memory was at ${memoryPages} pages.`,
      cause: err,
    });
  }
  return err;
}
