import { ByteWriter } from './binary.ts';
import { WasmFuelExhaustedError, WasmOutputTooLargeError, WasmTrapError } from './errors.ts';
import { HOST_BYTES_PER_FUEL, HOST_CALL_FUEL } from './limits.ts';
import { type FuncType, VALTYPE } from './module.ts';
import { createSplitMix64 } from './splitmix64.ts';
import type { WasmGlobalValue, WasmImportObject, WasmLinearMemory } from './webAssembly.ts';

/** The only module name a task module may import from. */
export const HOST_MODULE = 'concord';

const { i32, i64 } = VALTYPE;

/** A host function's signature, and whether it charges fuel itself (so metering must flush the counter). */
export type HostFunction = FuncType & { chargesFuel: boolean };

/** The host API: every function a module may import from `concord`, with its exact signature. */
export const HOST_FUNCTIONS: Readonly<Record<string, HostFunction>> = {
  /** `input_len() -> i32`: the input blob's length in bytes. */
  input_len: { params: [], results: [i32], chargesFuel: true },
  /** `input_read(ptr, offset, len)`: copies input bytes `[offset, offset+len)` to memory at `ptr`. */
  input_read: { params: [i32, i32, i32], results: [], chargesFuel: true },
  /** `output_write(ptr, len)`: appends memory bytes `[ptr, ptr+len)` to the output. */
  output_write: { params: [i32, i32], results: [], chargesFuel: true },
  /** `rng_next() -> i64`: the next value of the run's SplitMix64 stream, seeded from the spec. */
  rng_next: { params: [], results: [i64], chargesFuel: false },
};

/** What the host functions of one run read and write. */
export type HostRun = {
  input: Uint8Array;
  maxOutputBytes: number;
  seed: bigint;
};

/** The host side of one run: its imports, and the output collected so far. */
export type HostSession = {
  imports: WasmImportObject;
  /** Binds the instance's memory and fuel counter (undefined when unmetered) once instantiated. */
  bind(memory: WasmLinearMemory | undefined, fuel: WasmGlobalValue | undefined): void;
  /** The bytes written with `output_write`, joined. */
  output(): Uint8Array;
};

/**
 * Creates the `concord` imports for one run. Every call is deterministic.
 * The JavaScript calls (`input_len`, `input_read`, `output_write`) charge
 * `HOST_CALL_FUEL` plus one fuel per `HOST_BYTES_PER_FUEL` bytes copied;
 * `rng_next` is itself WebAssembly and costs only its call instruction. Bad
 * pointers or ranges trap with `WasmTrapError`.
 */
export function createHostSession(run: HostRun): HostSession {
  let memory: WasmLinearMemory | undefined;
  let fuel: WasmGlobalValue | undefined;
  const rng = createSplitMix64(run.seed);
  const out = new ByteWriter();

  const charge = (bytes: number): void => {
    if (!fuel) return;
    const cost = HOST_CALL_FUEL + BigInt(Math.ceil(bytes / HOST_BYTES_PER_FUEL));
    const left = (fuel.value as bigint) - cost;
    fuel.value = left < 0n ? -1n : left;
    if (left < 0n) throw new WasmFuelExhaustedError('The run used up its fuel in a host call.');
  };
  const memoryBytes = (call: string, ptr: number, len: number): Uint8Array => {
    const buffer = memory?.buffer;
    if (!buffer || ptr + len > buffer.byteLength) {
      throw new WasmTrapError(`${call}: memory range [${ptr}, ${ptr + len}) is out of bounds.`, {
        details: `Memory size is ${buffer?.byteLength ?? 0} bytes.`,
      });
    }
    return new Uint8Array(buffer, ptr, len);
  };

  const concord = {
    input_len: (): number => {
      charge(0);
      return run.input.length;
    },
    input_read: (ptr: number, offset: number, len: number): void => {
      [ptr, offset, len] = [ptr >>> 0, offset >>> 0, len >>> 0];
      charge(len);
      if (offset + len > run.input.length) {
        throw new WasmTrapError(`input_read: range [${offset}, ${offset + len}) is past the input's end.`, {
          details: `The input has ${run.input.length} bytes.`,
        });
      }
      memoryBytes('input_read', ptr, len).set(run.input.subarray(offset, offset + len));
    },
    output_write: (ptr: number, len: number): void => {
      [ptr, len] = [ptr >>> 0, len >>> 0];
      charge(len);
      if (out.length + len > run.maxOutputBytes) {
        throw new WasmOutputTooLargeError(
          `output_write: the output would reach ${out.length + len} bytes, over maxOutputBytes ${run.maxOutputBytes}.`,
          { hint: "Raise the spec's maxOutputBytes or write less." },
        );
      }
      out.push(memoryBytes('output_write', ptr, len).slice());
    },
    rng_next: rng.next,
  };

  return {
    imports: { [HOST_MODULE]: concord },
    bind(m, f) {
      memory = m;
      fuel = f;
    },
    output: () => out.finish(),
  };
}
