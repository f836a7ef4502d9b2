import { ByteReader } from './binary.ts';
import { WasmImportNotAllowedError, WasmInvalidModuleError, WasmUnsupportedFeatureError } from './errors.ts';

/**
 * Decodes the sections of a WebAssembly module that validation and metering
 * need (type, import, function, table, memory, global, export, start, code);
 * every other known section is kept as raw bytes.
 */

/** Section ids in the order the binary format requires them. */
export const SECTION = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
} as const;

/** The emission order of non-custom sections. */
export const SECTION_ORDER: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11];

/** Value type bytes the runtime accepts (numbers only: no v128, no references). */
export const VALTYPE = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c } as const;

/** A function signature as value type bytes. */
export type FuncType = { params: number[]; results: number[] };

/** An imported function (other import kinds are refused while decoding). */
export type WasmImport = { module: string; field: string; typeIndex: number };

/** An export entry. */
export type WasmExport = { name: string; kind: number; index: number };

/** Min/max limits of a memory or table (max undefined when unbounded). */
export type Limits = { min: number; max: number | undefined };

/** A function body: where it sits in the module bytes. */
export type CodeBody = { start: number; end: number };

/** The decoded parts of a module. */
export type DecodedModule = {
  bytes: Uint8Array;
  /** Raw contents of each present non-custom section, by id. */
  sections: Map<number, Uint8Array>;
  types: FuncType[];
  imports: WasmImport[];
  /** Type index of each defined (non-imported) function. */
  functions: number[];
  tables: Limits[];
  memories: Limits[];
  globalCount: number;
  exports: WasmExport[];
  hasStart: boolean;
  bodies: CodeBody[];
};

const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Decodes `bytes`; throws `WasmInvalidModuleError` or `WasmUnsupportedFeatureError`. */
export function decodeModule(bytes: Uint8Array): DecodedModule {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new WasmInvalidModuleError('The bytes are not a WebAssembly 1.0 module (bad magic or version).', {
      hint: 'Pass a compiled .wasm binary (e.g. from wat2wasm), not text or another file.',
    });
  }
  const m: DecodedModule = {
    bytes,
    sections: new Map(),
    types: [],
    imports: [],
    functions: [],
    tables: [],
    memories: [],
    globalCount: 0,
    exports: [],
    hasStart: false,
    bodies: [],
  };
  const r = new ByteReader(bytes, 8);
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    const content = new ByteReader(bytes, r.pos, r.pos + size);
    r.skip(size);
    if (id === SECTION.custom) continue;
    if (!SECTION_ORDER.includes(id)) {
      throw new WasmUnsupportedFeatureError(`Section id ${id} is not supported.`, {
        hint: 'Only WebAssembly 1.0 sections are allowed (no exception tags).',
      });
    }
    if (m.sections.has(id)) throw new WasmInvalidModuleError(`Section ${id} appears twice.`);
    m.sections.set(id, bytes.subarray(content.pos, content.end));
    decodeSection(m, id, content);
  }
  return m;
}

function decodeSection(m: DecodedModule, id: number, r: ByteReader): void {
  switch (id) {
    case SECTION.type:
      repeat(r, () => m.types.push(funcType(r)));
      break;
    case SECTION.import:
      repeat(r, () => m.imports.push(importEntry(r)));
      break;
    case SECTION.function:
      repeat(r, () => m.functions.push(r.u32()));
      break;
    case SECTION.table:
      repeat(r, () => {
        r.byte();
        m.tables.push(limits(r));
      });
      break;
    case SECTION.memory:
      repeat(r, () => m.memories.push(limits(r)));
      break;
    case SECTION.global:
      m.globalCount = r.u32();
      break;
    case SECTION.export:
      repeat(r, () => m.exports.push({ name: r.name(), kind: r.byte(), index: r.u32() }));
      break;
    case SECTION.start:
      m.hasStart = true;
      break;
    case SECTION.code:
      repeat(r, () => {
        const size = r.u32();
        m.bodies.push({ start: r.pos, end: r.pos + size });
        r.skip(size);
      });
      break;
  }
}

function repeat(r: ByteReader, each: () => void): void {
  const count = r.u32();
  for (let i = 0; i < count; i++) each();
}

function funcType(r: ByteReader): FuncType {
  if (r.byte() !== 0x60) throw new WasmInvalidModuleError('A type entry is not a function type.');
  const vec = () => Array.from({ length: r.u32() }, () => r.byte());
  const params = vec();
  return { params, results: vec() };
}

function importEntry(r: ByteReader): WasmImport {
  const module = r.name();
  const field = r.name();
  const kind = r.byte();
  if (kind !== 0) {
    throw new WasmImportNotAllowedError(`Import ${module}.${field} is not a function.`, {
      hint: "Only functions of the 'concord' host API may be imported; define memory, tables and globals in the module.",
    });
  }
  return { module, field, typeIndex: r.u32() };
}

/** Reads memory/table limits; shared (threads) and 64-bit memories are refused. */
function limits(r: ByteReader): Limits {
  const flags = r.byte();
  if (flags !== 0 && flags !== 1) {
    throw new WasmUnsupportedFeatureError(
      `Memory/table limits flag 0x${flags.toString(16)} is not supported.`,
      {
        hint: 'Shared (threads) and 64-bit memories are not allowed; declare a plain memory.',
      },
    );
  }
  const min = r.u32();
  return { min, max: flags === 1 ? r.u32() : undefined };
}
