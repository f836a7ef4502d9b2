import { ByteWriter, encodeS64, encodeU32 } from './binary.ts';
import { OP } from './instructions.ts';
import { VALTYPE } from './module.ts';
import { type WasmCompiledModule, type WasmGlobalValue, WebAssemblyRuntime } from './webAssembly.ts';

/**
 * SplitMix64 (Steele, Lea, Flood 2014), the seeded generator behind the
 * host API's `rng_next`, as a tiny WebAssembly module assembled here, so a
 * task module calls it wasm-to-wasm without entering JavaScript. Integer
 * only, so every node draws the same sequence.
 */

/** The generator's constants (golden-ratio increment and the two mixing multipliers). */
export const SPLITMIX64 = {
  gamma: 0x9e3779b97f4a7c15n,
  mix1: 0xbf58476d1ce4e5b9n,
  mix2: 0x94d049bb133111ebn,
} as const;

const I64 = { add: 0x7c, mul: 0x7e, xor: 0x85, shrU: 0x88 } as const;

let compiled: WasmCompiledModule | undefined;

/** A seeded SplitMix64 stream: `next()` returns the next 64-bit value (as a signed i64 in JS). */
export type SplitMix64Stream = { next: () => bigint };

/** Instantiates a stream starting at `seed` (taken modulo 2^64). */
export function createSplitMix64(seed: bigint): SplitMix64Stream {
  compiled ??= new WebAssemblyRuntime.Module(assemble());
  const { exports } = new WebAssemblyRuntime.Instance(compiled, {});
  (exports.state as WasmGlobalValue).value = BigInt.asIntN(64, seed);
  return { next: exports.next as () => bigint };
}

/** `(z ^ (z >> shift)) * mul`, with z in local 0. */
function mixStep(shift: number, mul: bigint): number[] {
  return [
    ...[OP.localGet, 0, OP.localGet, 0, OP.i64Const, ...encodeS64(BigInt(shift)), I64.shrU, I64.xor],
    ...[OP.i64Const, ...encodeS64(mul), I64.mul, OP.localSet, 0],
  ];
}

function section(id: number, content: number[]): number[] {
  return [id, ...encodeU32(content.length), ...content];
}

function exportEntry(name: string, kind: number): number[] {
  const bytes = [...new TextEncoder().encode(name)];
  return [bytes.length, ...bytes, kind, 0];
}

function assemble(): Uint8Array {
  const body = [
    ...[1, 1, VALTYPE.i64],
    ...[
      OP.globalGet,
      0,
      OP.i64Const,
      ...encodeS64(SPLITMIX64.gamma),
      I64.add,
      OP.localTee,
      0,
      OP.globalSet,
      0,
    ],
    ...mixStep(30, SPLITMIX64.mix1),
    ...mixStep(27, SPLITMIX64.mix2),
    ...[OP.localGet, 0, OP.localGet, 0, OP.i64Const, 31, I64.shrU, I64.xor, OP.end],
  ];
  return new ByteWriter()
    .push([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00])
    .push(section(1, [1, 0x60, 0, 1, VALTYPE.i64]))
    .push(section(3, [1, 0]))
    .push(section(6, [1, VALTYPE.i64, 0x01, OP.i64Const, 0, OP.end]))
    .push(section(7, [2, ...exportEntry('next', 0x00), ...exportEntry('state', 0x03)]))
    .push(section(10, [1, ...encodeU32(body.length), ...body]))
    .finish();
}
