import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { WASM_RUNTIME_VERSION } from '../wasm/limits.ts';
import { WasmRunner } from '../wasm/runner.ts';
import * as M from '../wasm/testModules.ts';
import { watToWasm } from '../wasm/wat.ts';
import { createTaskKindRegistry } from './builtin.ts';
import { encodeTaskSpec } from './spec.ts';
import { MemoryBlobs } from './testing.ts';
import { checkWasmTaskModule, createWasmTaskKind, parseWasmSpec, type WasmSpec, wasmKind } from './wasm.ts';

const runner = new WasmRunner();
const kind = createWasmTaskKind(runner);
after(() => runner.close());

async function setup(wat: string, input: number[], overrides: Partial<WasmSpec> = {}) {
  const blobs = new MemoryBlobs();
  const spec: WasmSpec = {
    kind: 'wasm',
    kernel: WASM_RUNTIME_VERSION,
    module: blobs.put(await watToWasm(wat)),
    input: blobs.put(Uint8Array.from(input)),
    entry: 'run',
    fuel: 1_000_000,
    memoryPages: 2,
    maxOutputBytes: 1024,
    seed: '18446744073709551615',
    ...overrides,
  };
  return { blobs, spec };
}

describe('wasm task kind', () => {
  it('has the on-chain kind id keccak256("wasm") and is built in', () => {
    assert.equal(wasmKind.kindId, createTaskKindRegistry().get('wasm').kindId);
  });

  it('parses a valid spec, lists its inputs and encodes canonically', async () => {
    const { spec } = await setup(M.ECHO_PLUS_ONE, [1]);
    assert.deepEqual(parseWasmSpec(JSON.parse(JSON.stringify(spec))), spec);
    assert.deepEqual(kind.inputs(spec), [spec.module, spec.input]);
    assert.match(encodeTaskSpec(createTaskKindRegistry(), spec).digest, /^0x[0-9a-f]{64}$/);
  });

  it('rejects bad specs with TaskSpecError', async () => {
    const { spec } = await setup(M.ECHO_PLUS_ONE, [1]);
    const bad: unknown[] = [
      null,
      { ...spec, kind: 'matvec' },
      { ...spec, kernel: 'concord-wasm-0' },
      { ...spec, module: 'abc' },
      { ...spec, entry: '' },
      { ...spec, entry: '1run' },
      { ...spec, entry: 'a'.repeat(65) },
      { ...spec, fuel: 0 },
      { ...spec, fuel: 1.5 },
      { ...spec, fuel: '100' },
      { ...spec, memoryPages: 1025 },
      { ...spec, maxOutputBytes: -1 },
      { ...spec, seed: 42 },
      { ...spec, seed: '-1' },
      { ...spec, seed: '007' },
      { ...spec, seed: '18446744073709551616' },
      { ...spec, extra: true },
      (({ seed: _, ...rest }) => rest)(spec),
    ];
    for (const json of bad)
      assert.throws(() => parseWasmSpec(json), { name: 'TaskSpecError' }, JSON.stringify(json));
  });

  it('accepts any u64 seed in decimal (property)', async () => {
    const { spec } = await setup(M.ECHO_PLUS_ONE, [1]);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (seed) => {
        assert.equal(parseWasmSpec({ ...spec, seed: seed.toString() }).seed, seed.toString());
      }),
    );
  });

  it('returns the output bytes as the result, identically on every run', async () => {
    const { blobs, spec } = await setup(M.CONTROL_FLOW, [20]);
    const a = await kind.run(spec, blobs.context());
    assert.equal(a.length, 8);
    assert.deepEqual(await kind.run(spec, blobs.context()), a);
    const reseeded = await kind.run({ ...spec, seed: '1' }, blobs.context());
    assert.notDeepEqual(reseeded, a);
  });

  it('fails with the runtime errors by name', async () => {
    const cases: [string, Partial<WasmSpec>, string][] = [
      [M.INFINITE_LOOP, {}, 'WasmFuelExhaustedError'],
      [M.UNREACHABLE, {}, 'WasmTrapError'],
      [M.OUTPUT_FLOOD, {}, 'WasmOutputTooLargeError'],
      [M.FOREIGN_IMPORT, {}, 'WasmImportNotAllowedError'],
      [M.ECHO_PLUS_ONE, { entry: 'main' }, 'WasmEntryError'],
    ];
    for (const [wat, overrides, name] of cases) {
      const { blobs, spec } = await setup(wat, [1], overrides);
      await assert.rejects(kind.run(spec, blobs.context()), { name });
    }
  });

  it('refuses a malformed module before creation with checkWasmTaskModule', async () => {
    const { spec } = await setup(M.ECHO_PLUS_ONE, [1]);
    const echo = await watToWasm(M.ECHO_PLUS_ONE);
    assert.ok(checkWasmTaskModule(spec, echo));
    assert.throws(() => checkWasmTaskModule(spec, Uint8Array.of(1, 2, 3)), {
      name: 'WasmInvalidModuleError',
    });
    assert.throws(() => checkWasmTaskModule({ ...spec, memoryPages: 0 }, new Uint8Array(0)), {
      name: 'WasmInvalidModuleError',
    });
    assert.throws(() => checkWasmTaskModule({ ...spec, memoryPages: 0 }, echo), {
      name: 'WasmMemoryLimitError',
    });
  });

  it('checkInputs validates the module blob named by the spec, without running it', async () => {
    const ok = await setup(M.INFINITE_LOOP, []);
    const check = kind.checkInputs;
    assert.ok(check);
    await check(ok.spec, ok.blobs.context().getBlob);
    for (const [wat, name] of [
      [M.FOREIGN_IMPORT, 'WasmImportNotAllowedError'],
      [M.IMPORTED_MEMORY, 'WasmImportNotAllowedError'],
    ] as const) {
      const bad = await setup(wat, []);
      await assert.rejects(check(bad.spec, bad.blobs.context().getBlob), { name });
    }
    const random = new MemoryBlobs();
    const spec = { ...ok.spec, module: random.put(Uint8Array.of(0, 0x61, 0x73, 0x6d, 9, 9)) };
    await assert.rejects(check(spec, random.context().getBlob), { name: 'WasmInvalidModuleError' });
  });

  it('stops with TaskAbortedError when its signal is aborted', async () => {
    const { blobs, spec } = await setup(M.INFINITE_LOOP, [], { fuel: 2 ** 50 });
    const controller = new AbortController();
    const running = kind.run(spec, blobs.context(controller.signal));
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(running, { name: 'TaskAbortedError' });
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(kind.run(spec, blobs.context(aborted.signal)), { name: 'TaskAbortedError' });
  });
});
