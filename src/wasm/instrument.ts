import { ByteReader, ByteWriter, encodeU32 } from './binary.ts';
import { HOST_FUNCTIONS } from './hostApi.ts';
import { OP } from './instructions.ts';
import { DEPTH_EXPORT, FUEL_EXPORT, MEMORY_EXPORT } from './limits.ts';
import { instrumentBody, type Meter } from './meterBody.ts';
import { SECTION, SECTION_ORDER, VALTYPE } from './module.ts';
import { type ValidatedModule, validateWasmModule, type WasmModuleLimits } from './validate.ts';

/** How to prepare a module for a run. */
export type PrepareOptions = Required<WasmModuleLimits> & {
  /** Inject fuel metering (default true). Off only for benchmarks' baselines. */
  metering?: boolean;
};

/** Export kinds of the binary format. */
const EXTERNAL = { global: 0x03, memory: 0x02 } as const;

/**
 * Validates a module and rewrites it for a deterministic, bounded run:
 *
 * - **Fuel metering.** A mutable i64 global (exported as `__concord_fuel`,
 *   set by the host before the entry runs; each function keeps it in a
 *   local between calls) is decremented at the start of every basic block
 *   by the block's cost: the number of instructions of its straight-line
 *   run up to and including the control instruction that ends it (`end`
 *   and `else` cost 0). Blocks start at a function's entry and
 *   after `loop`, `if`, `else`, `end`, `br`, `br_if`, `br_table`, `return` and
 *   `unreachable`. When the counter goes negative the block traps with
 *   `unreachable` before running, so a run stops at the same instruction on
 *   every node.
 * - **Call depth.** An i32 global (exported as `__concord_depth`) counts
 *   nested calls of the module's own functions; a call past
 *   `WASM_MAX_CALL_DEPTH` traps, so deep recursion fails the same way on
 *   every node instead of at the engine's stack limit. Host calls are not
 *   counted (they never call back); around those that charge fuel the
 *   counter is flushed and reloaded, `rng_next` needs neither.
 * - **NaN canonicalization.** NaN payloads and signs are WebAssembly's one
 *   nondeterminism; they become visible only when float bits leave the float
 *   domain. Before every `f32.store`/`f64.store`, `i32.reinterpret_f32`/
 *   `i64.reinterpret_f64`, and for the sign operand of `copysign`, a NaN is
 *   replaced by the canonical quiet NaN.
 * - **Memory.** The declared maximum is clamped to `memoryPages`, so
 *   `memory.grow` beyond it returns -1; the memory is exported as
 *   `__concord_memory` for the host API.
 */
export function prepareWasmModule(bytes: Uint8Array, options: PrepareOptions): Uint8Array {
  const m = validateWasmModule(bytes, options);
  const metering = options.metering ?? true;
  const meter: Meter | undefined = metering ? { fuel: m.globalCount, depth: m.globalCount + 1 } : undefined;
  const out = new ByteWriter().push(bytes.subarray(0, 8));
  const rewritten = new Map<number, Uint8Array>();
  if (m.memories.length > 0) rewritten.set(SECTION.memory, memorySection(m, options.memoryPages));
  if (metering) rewritten.set(SECTION.global, globalSection(m));
  rewritten.set(SECTION.export, exportSection(m, meter));
  rewritten.set(SECTION.code, codeSection(m, meter));
  for (const id of SECTION_ORDER) {
    const content = rewritten.get(id) ?? m.sections.get(id);
    if (content) out.push([id]).push(encodeU32(content.length)).push(content);
  }
  return out.finish();
}

function memorySection(m: ValidatedModule, memoryPages: number): Uint8Array {
  const w = new ByteWriter().push(encodeU32(m.memories.length));
  for (const mem of m.memories) {
    const max = Math.min(mem.max ?? memoryPages, memoryPages);
    w.push([0x01]).push(encodeU32(mem.min)).push(encodeU32(max));
  }
  return w.finish();
}

/** Entries of a vector section after its count. */
function entriesOf(m: ValidatedModule, id: number): Uint8Array {
  const content = m.sections.get(id);
  if (!content) return new Uint8Array(0);
  const r = new ByteReader(content);
  r.u32();
  return content.subarray(r.pos);
}

function globalSection(m: ValidatedModule): Uint8Array {
  const fuel = [VALTYPE.i64, 0x01, OP.i64Const, 0x00, OP.end];
  const depth = [VALTYPE.i32, 0x01, OP.i32Const, 0x00, OP.end];
  return new ByteWriter()
    .push(encodeU32(m.globalCount + 2))
    .push(entriesOf(m, SECTION.global))
    .push(fuel)
    .push(depth)
    .finish();
}

function exportSection(m: ValidatedModule, meter: Meter | undefined): Uint8Array {
  const extra = new ByteWriter();
  let count = m.exports.length;
  const add = (name: string, kind: number, index: number) => {
    const nameBytes = new TextEncoder().encode(name);
    extra.push(encodeU32(nameBytes.length)).push(nameBytes).push([kind]).push(encodeU32(index));
    count++;
  };
  if (meter) {
    add(FUEL_EXPORT, EXTERNAL.global, meter.fuel);
    add(DEPTH_EXPORT, EXTERNAL.global, meter.depth);
  }
  if (m.memories.length > 0) add(MEMORY_EXPORT, EXTERNAL.memory, 0);
  return new ByteWriter()
    .push(encodeU32(count))
    .push(entriesOf(m, SECTION.export))
    .push(extra.finish())
    .finish();
}

function codeSection(m: ValidatedModule, meter: Meter | undefined): Uint8Array {
  const w = new ByteWriter().push(encodeU32(m.bodies.length));
  const bodyMeter = meter && {
    ...meter,
    imports: m.imports.map((imp) => HOST_FUNCTIONS[imp.field]!.chargesFuel),
  };
  m.bodies.forEach((body, i) => {
    const typeIndex = m.functions[i]!;
    const params = m.types[typeIndex]!.params.length;
    const rewritten = instrumentBody(new ByteReader(m.bytes, body.start, body.end), params, bodyMeter);
    w.push(encodeU32(rewritten.length)).push(rewritten);
  });
  return w.finish();
}
