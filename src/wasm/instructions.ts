import type { ByteReader } from './binary.ts';
import { WasmUnsupportedFeatureError } from './errors.ts';

/**
 * Decoding of function-body instructions: `readInstruction` reads one
 * opcode, skips its immediates and refuses every instruction outside the
 * allowed set (WebAssembly 1.0 plus sign extension, saturating truncation
 * and multi-value blocks). Refused: SIMD (`0xFD`), threads/atomics (`0xFE`),
 * bulk memory and table instructions (their cost depends on a runtime length
 * the block-level meter cannot see), reference types, exceptions, tail calls
 * and multiple memories.
 */

/** Opcodes the metering pass treats specially. */
export const OP = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  brTable: 0x0e,
  return: 0x0f,
  call: 0x10,
  callIndirect: 0x11,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  globalGet: 0x23,
  globalSet: 0x24,
  f32Store: 0x38,
  f64Store: 0x39,
  i32Const: 0x41,
  i64Const: 0x42,
  f32Const: 0x43,
  f64Const: 0x44,
  f32Eq: 0x5b,
  f64Eq: 0x61,
  i64LtS: 0x53,
  i64Sub: 0x7d,
  f32Copysign: 0x98,
  f64Copysign: 0xa6,
  i32ReinterpretF32: 0xbc,
  i64ReinterpretF64: 0xbd,
  select: 0x1b,
} as const;

/** Value type of the empty block type. */
const BLOCKTYPE_EMPTY = 0x40;
const NUMERIC_VALTYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c]);
const PREFIX_MISC = 0xfc;
/** `0xFC 0..7`: the saturating float-to-int truncations (no immediates). */
const TRUNC_SAT_LAST = 7;

/**
 * Reads one instruction at `r` and returns its opcode (`0xFC00 | sub` for
 * the prefixed saturating truncations), leaving `r` after its immediates.
 */
export function readInstruction(r: ByteReader): number {
  const at = r.pos;
  const op = r.byte();
  if (op <= 0x01 || op === OP.else || op === OP.end || op === OP.return) return op;
  if (op >= OP.block && op <= OP.if) {
    blockType(r);
    return op;
  }
  if (op === OP.br || op === OP.brIf || op === OP.call || (op >= OP.localGet && op <= OP.globalSet)) {
    r.u32();
    return op;
  }
  if (op === OP.brTable) {
    const n = r.u32();
    for (let i = 0; i <= n; i++) r.u32();
    return op;
  }
  if (op === OP.callIndirect) {
    r.u32();
    if (r.u32() !== 0) throw unsupported(at, 'call_indirect on a table other than 0');
    return op;
  }
  if (op === 0x1a || op === OP.select) return op;
  if (op === 0x1c) {
    const n = r.u32();
    for (let i = 0; i < n; i++) valtype(r, at);
    return op;
  }
  if (op >= 0x28 && op <= 0x3e) {
    const align = r.u32();
    if (align >= 64) throw unsupported(at, 'multiple memories');
    r.u32();
    return op;
  }
  if (op === 0x3f || op === 0x40) {
    if (r.u32() !== 0) throw unsupported(at, 'multiple memories');
    return op;
  }
  if (op === OP.i32Const) r.skipSigned(32);
  else if (op === OP.i64Const) r.skipSigned(64);
  else if (op === OP.f32Const) r.skip(4);
  else if (op === OP.f64Const) r.skip(8);
  else if (op === PREFIX_MISC) {
    const sub = r.u32();
    if (sub > TRUNC_SAT_LAST) throw unsupported(at, `bulk memory / table instruction 0xfc ${sub}`);
    return (PREFIX_MISC << 8) | sub;
  } else if (op < 0x45 || op > 0xc4) throw unsupported(at, `opcode 0x${op.toString(16)}`);
  return op;
}

function blockType(r: ByteReader): void {
  const b = r.bytes[r.pos];
  if (b === BLOCKTYPE_EMPTY || (b !== undefined && NUMERIC_VALTYPES.has(b))) r.skip(1);
  else if (b !== undefined && b >= 0x40 && b < 0x80)
    throw unsupported(r.pos, `block type 0x${b.toString(16)}`);
  else r.skipSigned(33);
}

function valtype(r: ByteReader, at: number): void {
  const t = r.byte();
  if (!NUMERIC_VALTYPES.has(t)) throw unsupported(at, `value type 0x${t.toString(16)}`);
}

function unsupported(at: number, what: string): WasmUnsupportedFeatureError {
  return new WasmUnsupportedFeatureError(`The module uses ${what} (at byte ${at}), which is not allowed.`, {
    hint: 'Allowed: WebAssembly 1.0 with sign extension, saturating truncation and multi-value. No SIMD, threads, bulk memory, reference types, exceptions or tail calls.',
  });
}
