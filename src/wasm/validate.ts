import { ByteReader } from './binary.ts';
import {
  WasmEntryError,
  WasmImportNotAllowedError,
  WasmInvalidModuleError,
  WasmMemoryLimitError,
  WasmModuleTooLargeError,
  WasmUnsupportedFeatureError,
} from './errors.ts';
import { HOST_FUNCTIONS, HOST_MODULE } from './hostApi.ts';
import { readInstruction } from './instructions.ts';
import {
  DEPTH_EXPORT,
  FUEL_EXPORT,
  MEMORY_EXPORT,
  WASM_MAX_MEMORY_PAGES,
  WASM_MAX_MODULE_BYTES,
  WASM_MAX_TABLE_ENTRIES,
} from './limits.ts';
import { type CodeBody, type DecodedModule, decodeModule, type FuncType, VALTYPE } from './module.ts';
import { WebAssemblyRuntime } from './webAssembly.ts';

/** What a module is checked against: the entry export and the memory budget. */
export type WasmModuleLimits = {
  /** The export to run; it must be a function `() -> ()`. Default `'run'`. */
  entry?: string;
  /** Largest memory in 64 KiB pages; the declared minimum must fit. Default `WASM_MAX_MEMORY_PAGES`. */
  memoryPages?: number;
};

/** A module that passed validation, decoded. */
export type ValidatedModule = DecodedModule & { entryIndex: number };

const NUMERIC = new Set<number>(Object.values(VALTYPE));

/**
 * Checks that `bytes` is a module the runtime can meter and run
 * deterministically, and returns it decoded. Refuses, each with its named
 * error: oversized or invalid binaries, imports other than the `concord`
 * host API (or with the wrong signature), a start function (it would run
 * before the host is bound), shared or 64-bit memories, SIMD, threads, bulk
 * memory, reference types, exceptions and tail calls, non-numeric value
 * types, memory or tables over the limits, reserved export names, and an
 * entry export that is missing or not `() -> ()`.
 */
export function validateWasmModule(bytes: Uint8Array, limits: WasmModuleLimits = {}): ValidatedModule {
  const entry = limits.entry ?? 'run';
  const memoryPages = limits.memoryPages ?? WASM_MAX_MEMORY_PAGES;
  if (bytes.length > WASM_MAX_MODULE_BYTES) {
    throw new WasmModuleTooLargeError(
      `The module is ${bytes.length} bytes, over the ${WASM_MAX_MODULE_BYTES}-byte limit.`,
    );
  }
  if (!WebAssemblyRuntime.validate(bytes)) {
    throw new WasmInvalidModuleError('The bytes are not a valid WebAssembly module.', {
      hint: 'Check the module with wasm-validate (from wabt).',
    });
  }
  const m = decodeModule(bytes);
  m.types.forEach(checkNumericType);
  checkImports(m);
  if (m.hasStart) {
    throw new WasmUnsupportedFeatureError('The module has a start function.', {
      hint: 'Do the start work in the entry function: a start function runs before the host API is bound.',
    });
  }
  checkMemory(m, memoryPages);
  for (const name of [FUEL_EXPORT, DEPTH_EXPORT, MEMORY_EXPORT]) {
    if (m.exports.some((e) => e.name === name)) {
      throw new WasmInvalidModuleError(`The export name '${name}' is reserved by the runtime.`, {
        hint: 'Rename that export.',
      });
    }
  }
  const entryIndex = checkEntry(m, entry);
  for (const body of m.bodies) scanBody(bytes, body);
  return { ...m, entryIndex };
}

function checkNumericType(t: FuncType, index: number): void {
  if (![...t.params, ...t.results].every((v) => NUMERIC.has(v))) {
    throw new WasmUnsupportedFeatureError(`Type ${index} uses a non-numeric value type.`, {
      hint: 'Only i32, i64, f32 and f64 are allowed (no v128 or references).',
    });
  }
}

function sameType(a: FuncType, b: FuncType): boolean {
  return a.params.join() === b.params.join() && a.results.join() === b.results.join();
}

function checkImports(m: DecodedModule): void {
  const allowed = Object.keys(HOST_FUNCTIONS).join(', ');
  for (const imp of m.imports) {
    const expected = imp.module === HOST_MODULE ? HOST_FUNCTIONS[imp.field] : undefined;
    if (!expected) {
      throw new WasmImportNotAllowedError(
        `The module imports ${imp.module}.${imp.field}, which is not allowed.`,
        {
          hint: `Import only from '${HOST_MODULE}': ${allowed}.`,
        },
      );
    }
    const actual = m.types[imp.typeIndex];
    if (!actual || !sameType(actual, expected)) {
      throw new WasmImportNotAllowedError(`The import ${imp.module}.${imp.field} has the wrong signature.`, {
        hint: 'See docs/wasm-tasks.md for the host API signatures.',
      });
    }
  }
}

function checkMemory(m: DecodedModule, memoryPages: number): void {
  for (const mem of m.memories) {
    if (mem.min > memoryPages) {
      throw new WasmMemoryLimitError(
        `The module needs ${mem.min} memory pages at start, over the limit of ${memoryPages}.`,
        { hint: "Lower the module's initial memory or raise the spec's memoryPages." },
      );
    }
  }
  for (const table of m.tables) {
    if (table.min > WASM_MAX_TABLE_ENTRIES) {
      throw new WasmMemoryLimitError(
        `The module's table has ${table.min} entries, over the limit of ${WASM_MAX_TABLE_ENTRIES}.`,
      );
    }
  }
}

function checkEntry(m: DecodedModule, entry: string): number {
  const exp = m.exports.find((e) => e.name === entry);
  if (exp?.kind !== 0) {
    throw new WasmEntryError(`The module exports no function named '${entry}'.`, {
      details: `Exports: ${m.exports.map((e) => e.name).join(', ') || '(none)'}.`,
      hint: `Export the entry function as "${entry}", or name the export in the spec's entry field.`,
    });
  }
  const typeIndex = m.functions[exp.index - m.imports.length];
  const type = typeIndex === undefined ? undefined : m.types[typeIndex];
  if (!type || type.params.length > 0 || type.results.length > 0) {
    throw new WasmEntryError(`The entry '${entry}' is not a function of type () -> ().`, {
      hint: 'The entry takes no arguments and returns nothing; it reads input and writes output through the host API.',
    });
  }
  return exp.index;
}

/** Walks one function body: numeric locals, allowed instructions only. */
function scanBody(bytes: Uint8Array, body: CodeBody): void {
  const r = new ByteReader(bytes, body.start, body.end);
  readLocals(r);
  while (!r.done) readInstruction(r);
}

/** Reads a body's local declarations; returns their total count. */
export function readLocals(r: ByteReader): number {
  let total = 0;
  const groups = r.u32();
  for (let i = 0; i < groups; i++) {
    total += r.u32();
    if (!NUMERIC.has(r.byte())) {
      throw new WasmUnsupportedFeatureError('A function declares a non-numeric local.', {
        hint: 'Only i32, i64, f32 and f64 locals are allowed.',
      });
    }
  }
  return total;
}
