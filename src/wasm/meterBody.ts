import { ByteReader, ByteWriter, encodeS64, encodeU32 } from './binary.ts';
import { OP, readInstruction } from './instructions.ts';
import { WASM_MAX_CALL_DEPTH } from './limits.ts';
import { VALTYPE } from './module.ts';
import { readLocals } from './validate.ts';

/** The code injected into function bodies by `prepareWasmModule`. */

/** Canonical quiet NaNs (positive sign, only the top mantissa bit set), little-endian. */
const CANONICAL_NAN_F32 = [0x00, 0x00, 0xc0, 0x7f];
const CANONICAL_NAN_F64 = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x7f];
const I32 = { add: 0x6a, sub: 0x6b, gtU: 0x4b } as const;

/** Indices of the globals metering adds: fuel left (i64) and call depth (i32). */
export type Meter = { fuel: number; depth: number };

/** What a body's metering needs: the globals, and whether each imported function charges fuel. */
export type BodyMeter = Meter & { imports: boolean[] };

/** A point in the original body where code is inserted. */
type Insertion = { at: number; code: number[] | { cost: number } };

/**
 * Rewrites one function body (read from `r`, which starts at its locals):
 * fuel charges, call depth, fuel flushes and NaN canonicalization as
 * described on `prepareWasmModule`; `meter` undefined leaves out all but
 * the NaN rule.
 */
export function instrumentBody(r: ByteReader, params: number, meter: BodyMeter | undefined): Uint8Array {
  const localsStart = r.pos;
  const groups = r.u32();
  const groupsEnd = r.pos;
  r.pos = localsStart;
  const base = params + readLocals(r);
  const exprStart = r.pos;
  const [fuelLocal, f32Tmp, f64Tmp, depthTmp] = [base, base + 1, base + 2, base + 3];
  const insertions: Insertion[] = [];
  const fuelCode = meter && fuelCodeOf(meter.fuel, fuelLocal);
  let block: { cost: number } | undefined;
  const openBlock = (at: number) => {
    if (!fuelCode) return;
    block = { cost: 0 };
    insertions.push({ at, code: block });
  };
  if (fuelCode) insertions.push({ at: exprStart, code: fuelCode.load });
  openBlock(exprStart);
  /** Open blocks; a branch to label `nesting` leaves the function. */
  let nesting = 0;
  while (!r.done) {
    const at = r.pos;
    const op = readInstruction(r);
    if (op === OP.f32Store || op === OP.i32ReinterpretF32 || op === OP.f32Copysign) {
      insertions.push({ at, code: canonicalize(f32Tmp, OP.f32Const, CANONICAL_NAN_F32, OP.f32Eq) });
    } else if (op === OP.f64Store || op === OP.i64ReinterpretF64 || op === OP.f64Copysign) {
      insertions.push({ at, code: canonicalize(f64Tmp, OP.f64Const, CANONICAL_NAN_F64, OP.f64Eq) });
    }
    if (op === OP.block || op === OP.loop || op === OP.if) nesting++;
    else if (op === OP.end) nesting--;
    if (meter && fuelCode) {
      const callee = op === OP.call ? new ByteReader(r.bytes, at + 1).u32() : -1;
      const hostCall = callee >= 0 && callee < meter.imports.length;
      if (hostCall && meter.imports[callee]) {
        insertions.push({ at, code: fuelCode.flush });
        insertions.push({ at: r.pos, code: fuelCode.load });
      } else if (op === OP.callIndirect || (op === OP.call && !hostCall)) {
        insertions.push({ at, code: [...fuelCode.flush, ...enterCall(meter.depth, depthTmp)] });
        insertions.push({ at: r.pos, code: [...leaveCall(meter.depth), ...fuelCode.load] });
      } else if (op === OP.return || nesting < 0 || branchLabels(r.bytes, at, op).includes(nesting)) {
        insertions.push({ at, code: fuelCode.flush });
      }
    }
    if (block && op !== OP.end && op !== OP.else) block.cost++;
    if (endsBasicBlock(op)) openBlock(r.pos);
  }
  const w = new ByteWriter()
    .push(encodeU32(groups + 4))
    .push(r.bytes.subarray(groupsEnd, exprStart))
    .push([1, VALTYPE.i64, 1, VALTYPE.f32, 1, VALTYPE.f64, 1, VALTYPE.i32]);
  let copied = exprStart;
  for (const { at, code } of insertions) {
    if (!Array.isArray(code) && code.cost === 0) continue;
    w.push(r.bytes.subarray(copied, at));
    copied = at;
    w.push(Array.isArray(code) ? code : fuelCode!.charge(code.cost));
  }
  w.push(r.bytes.subarray(copied, r.end));
  return w.finish();
}

/** The label immediates of a branch instruction at `at` (none for other instructions). */
function branchLabels(bytes: Uint8Array, at: number, op: number): number[] {
  if (op !== OP.br && op !== OP.brIf && op !== OP.brTable) return [];
  const r = new ByteReader(bytes, at + 1);
  if (op !== OP.brTable) return [r.u32()];
  return Array.from({ length: r.u32() + 1 }, () => r.u32());
}

/**
 * The fuel code of one function. The counter lives in a local while the
 * function runs (a register in optimized code): `load` copies the global
 * into it at entry and after each call, `flush` writes it back before each
 * call and each exit (return, branch to the function label, final end), and
 * `charge` decrements it, flushing and trapping when it goes negative.
 */
function fuelCodeOf(fuelGlobal: number, local: number) {
  const g = [...encodeU32(fuelGlobal)];
  const l = [...encodeU32(local)];
  const flush = [OP.localGet, ...l, OP.globalSet, ...g];
  return {
    load: [OP.globalGet, ...g, OP.localSet, ...l],
    flush,
    charge: (cost: number): number[] => [
      ...[OP.localGet, ...l, OP.i64Const, ...encodeS64(BigInt(cost)), OP.i64Sub, OP.localTee, ...l],
      ...[OP.i64Const, 0x00, OP.i64LtS, OP.if, 0x40, ...flush, OP.unreachable, OP.end],
    ],
  };
}

/** Whether `op` ends a straight-line run: what follows is a branch target or dead code. */
function endsBasicBlock(op: number): boolean {
  return (
    op === OP.loop ||
    op === OP.if ||
    op === OP.else ||
    op === OP.end ||
    op === OP.br ||
    op === OP.brIf ||
    op === OP.brTable ||
    op === OP.return ||
    op === OP.unreachable
  );
}

/** Before a call: `if (++depth > WASM_MAX_CALL_DEPTH) unreachable` (stack-neutral, after the arguments). */
function enterCall(depthGlobal: number, tmp: number): number[] {
  const g = [...encodeU32(depthGlobal)];
  const t = [...encodeU32(tmp)];
  return [
    ...[OP.globalGet, ...g, OP.i32Const, 1, I32.add, OP.localTee, ...t, OP.globalSet, ...g],
    ...[OP.localGet, ...t, OP.i32Const, ...encodeS64(BigInt(WASM_MAX_CALL_DEPTH)), I32.gtU],
    ...[OP.if, 0x40, OP.unreachable, OP.end],
  ];
}

/** After a call returns: `depth--`. */
function leaveCall(depthGlobal: number): number[] {
  const g = [...encodeU32(depthGlobal)];
  return [OP.globalGet, ...g, OP.i32Const, 1, I32.sub, OP.globalSet, ...g];
}

/** `x -> (x == x ? x : canonicalNaN)` on the float on top of the stack. */
function canonicalize(tmp: number, constOp: number, nanBytes: number[], eqOp: number): number[] {
  const t = [...encodeU32(tmp)];
  return [OP.localTee, ...t, constOp, ...nanBytes, OP.localGet, ...t, OP.localGet, ...t, eqOp, OP.select];
}
