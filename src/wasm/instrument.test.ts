import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { executeWasm, type WasmExecutionResult } from './execute.ts';
import { prepareWasmModule } from './instrument.ts';
import { WASM_MAX_CALL_DEPTH } from './limits.ts';
import { randomProgram } from './randomPrograms.ts';
import * as M from './testModules.ts';
import { validateWasmModule } from './validate.ts';
import { watToWasm } from './wat.ts';

type RunOptions = {
  input?: number[];
  fuel?: bigint;
  memoryPages?: number;
  metering?: boolean;
  maxOutputBytes?: number;
};

async function run(wat: string, o: RunOptions = {}): Promise<WasmExecutionResult> {
  const prepared = prepareWasmModule(await watToWasm(wat), {
    entry: 'run',
    memoryPages: o.memoryPages ?? 16,
    metering: o.metering ?? true,
  });
  return executeWasm(prepared, {
    entry: 'run',
    input: Uint8Array.from(o.input ?? []),
    maxOutputBytes: o.maxOutputBytes ?? 1 << 20,
    seed: 7n,
    fuel: o.fuel ?? 10_000_000n,
  });
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('prepareWasmModule: metering', () => {
  it('preserves semantics: metered and unmetered runs write the same output', async () => {
    for (const [wat, input] of [
      [M.ECHO_PLUS_ONE, [1, 2, 3, 250, 255]],
      [M.CONTROL_FLOW, [23]],
      [M.NAN_OUTPUTS, []],
    ] as const) {
      const metered = await run(wat, { input: [...input] });
      const plain = await run(wat, { input: [...input], metering: false });
      assert.equal(hex(metered.output), hex(plain.output));
      assert.ok(metered.fuelUsed > 0n);
      assert.equal(plain.fuelUsed, 0n);
    }
  });

  it('charges the same fuel on every run, linear in the loop count (property)', async () => {
    const bytes = await watToWasm(M.COUNTDOWN);
    const prepared = prepareWasmModule(bytes, { entry: 'run', memoryPages: 1 });
    const fuelOf = (n: number) =>
      executeWasm(prepared, {
        entry: 'run',
        input: Uint8Array.of(n),
        maxOutputBytes: 0,
        seed: 0n,
        fuel: 1n << 40n,
      }).fuelUsed;
    const perIteration = fuelOf(1) - fuelOf(0);
    assert.ok(perIteration > 0n);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (n) => {
        assert.equal(fuelOf(n), fuelOf(0) + BigInt(n) * perIteration);
        assert.equal(fuelOf(n), fuelOf(n));
      }),
      { numRuns: 50 },
    );
  });

  it('succeeds with exactly the fuel a run needs and stops with one less (property)', async () => {
    const prepared = prepareWasmModule(await watToWasm(M.CONTROL_FLOW), { entry: 'run', memoryPages: 1 });
    const exec = (n: number, fuel: bigint) =>
      executeWasm(prepared, { entry: 'run', input: Uint8Array.of(n), maxOutputBytes: 8, seed: 1n, fuel });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), (n) => {
        const needed = exec(n, 1n << 40n).fuelUsed;
        assert.equal(exec(n, needed).fuelUsed, needed);
        assert.throws(() => exec(n, needed - 1n), { name: 'WasmFuelExhaustedError' });
      }),
      { numRuns: 21 },
    );
  });

  it('keeps random structured programs equivalent and their fuel exact (property)', async () => {
    await fc.assert(
      fc.asyncProperty(randomProgram, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), async (wat, seed) => {
        const bytes = await watToWasm(wat);
        const exec = (metering: boolean, fuel: bigint) =>
          executeWasm(prepareWasmModule(bytes, { entry: 'run', memoryPages: 1, metering }), {
            entry: 'run',
            input: new Uint8Array(0),
            maxOutputBytes: 16,
            seed,
            fuel,
          });
        const metered = exec(true, 1n << 40n);
        assert.equal(hex(metered.output), hex(exec(false, 0n).output));
        assert.equal(hex(exec(true, metered.fuelUsed).output), hex(metered.output));
        assert.throws(() => exec(true, metered.fuelUsed - 1n), { name: 'WasmFuelExhaustedError' });
      }),
      { numRuns: 60 },
    );
  });

  it('charges a function the same however it exits: end, return, br_if or br_table to the function label', async () => {
    const exits = [
      '(nop) (local.get $x) (i32.const 1) (drop)',
      '(local.get $x) (i32.const 0) (i32.add) (return)',
      '(nop) (local.get $x) (i32.const 1) (br_if 0) (drop) (unreachable)',
      '(nop) (local.get $x) (i32.const 0) (br_table 0 0) (unreachable)',
    ];
    const fuels = new Set<bigint>();
    for (const body of exits) {
      const wat = `(module (func $f (param $x i32) (result i32) ${body})
        (func (export "run") (local $i i32)
          (loop $l (local.set $i (call $f (i32.add (local.get $i) (i32.const 1))))
            (br_if $l (i32.lt_u (local.get $i) (i32.const 100))))))`;
      fuels.add((await run(wat)).fuelUsed);
    }
    assert.equal(fuels.size, 1, [...fuels].join(', '));
  });

  it('stops an infinite loop with WasmFuelExhaustedError', async () => {
    await assert.rejects(run(M.INFINITE_LOOP, { fuel: 100_000n }), { name: 'WasmFuelExhaustedError' });
  });

  it('charges host calls by the bytes they copy', async () => {
    const small = await run(M.ECHO_PLUS_ONE, { input: [1] });
    const large = await run(M.ECHO_PLUS_ONE, { input: Array(801).fill(1) });
    const loopCost = (large.fuelUsed - small.fuelUsed) / 800n;
    assert.ok(loopCost > 0n);
    await assert.rejects(run(M.ECHO_PLUS_ONE, { input: Array(801).fill(1), fuel: large.fuelUsed - 1n }), {
      name: 'WasmFuelExhaustedError',
    });
  });
});

describe('executeWasm: engine limits', () => {
  it('reports a module the engine refuses after metering added its locals as WasmInvalidModuleError', async () => {
    const wat = `(module (func (export "run") (local ${'i32 '.repeat(49_998)})))`;
    assert.ok(validateWasmModule(await watToWasm(wat)), 'within the engine limit before metering');
    await assert.rejects(run(wat), { name: 'WasmInvalidModuleError' });
  });
});

describe('prepareWasmModule: call depth', () => {
  it('allows exactly WASM_MAX_CALL_DEPTH nested calls and stops the next with WasmCallDepthError', async () => {
    const input = (n: number) => [n & 0xff, n >> 8];
    // run -> down(n) -> ... -> down(0) nests n + 1 calls (host calls do not count).
    await run(M.RECURSE_TO_DEPTH, { input: input(WASM_MAX_CALL_DEPTH - 1), fuel: 1n << 40n });
    await assert.rejects(run(M.RECURSE_TO_DEPTH, { input: input(WASM_MAX_CALL_DEPTH), fuel: 1n << 40n }), {
      name: 'WasmCallDepthError',
    });
  });

  it('leaves the depth counter balanced after calls return (10000 sequential calls)', async () => {
    await run(
      `(module (func $leaf) (func (export "run") (local $i i32)
        (loop $l (call $leaf) (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 10000))))))`,
    );
  });
});

describe('prepareWasmModule: NaN canonicalization', () => {
  it('writes only canonical NaNs, whatever the arithmetic produced', async () => {
    const out = (await run(M.NAN_OUTPUTS)).output;
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (const at of [0, 8, 16])
      assert.equal(view.getBigUint64(at, true), 0x7ff8000000000000n, `f64 at ${at}`);
    assert.equal(view.getFloat64(24, true), 1, 'copysign takes the sign of the canonical NaN');
    for (const at of [32, 36]) assert.equal(view.getUint32(at, true), 0x7fc00000, `f32 at ${at}`);
  });

  it('leaves non-NaN floats, infinities and negative zero bit-exact', async () => {
    const out = (
      await run(`(module (import "concord" "output_write" (func $out (param i32 i32))) (memory 1)
        (func (export "run")
          (f64.store (i32.const 0) (f64.const -0))
          (f64.store (i32.const 8) (f64.div (f64.const 1) (f64.const 0)))
          (f64.store (i32.const 16) (f64.const 0x1.fffffffffffffp+1023))
          (f32.store (i32.const 24) (f32.const -0x1p-149))
          (i64.store (i32.const 28) (i64.reinterpret_f64 (f64.const -2.5)))
          (call $out (i32.const 0) (i32.const 36))))`)
    ).output;
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    assert.ok(Object.is(view.getFloat64(0, true), -0));
    assert.equal(view.getFloat64(8, true), Number.POSITIVE_INFINITY);
    assert.equal(view.getFloat64(16, true), Number.MAX_VALUE);
    assert.equal(view.getUint32(24, true), 0x80000001);
    assert.equal(view.getFloat64(28, true), -2.5);
  });
});

describe('prepareWasmModule: memory', () => {
  it('clamps memory growth to memoryPages: memory.grow returns -1 there', async () => {
    for (const memoryPages of [1, 3, 16]) {
      const out = (await run(M.MEMORY_GROW_UNTIL_REFUSED, { memoryPages })).output;
      assert.equal(new DataView(out.buffer, out.byteOffset).getUint32(0, true), memoryPages);
    }
  });

  it('keeps a smaller declared maximum', async () => {
    const out = (
      await run(
        `(module (import "concord" "output_write" (func $out (param i32 i32))) (memory 1 2)
          (func (export "run")
            (i32.store (i32.const 0) (memory.grow (i32.const 5)))
            (i32.store (i32.const 4) (memory.grow (i32.const 1)))
            (call $out (i32.const 0) (i32.const 8))))`,
        { memoryPages: 16 },
      )
    ).output;
    assert.equal(hex(out), `${'ff'.repeat(4)}01000000`);
  });
});
