import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BaseError } from '../core/errors.ts';
import { prepareWasmModule } from './instrument.ts';
import * as M from './testModules.ts';
import { validateWasmModule } from './validate.ts';
import { watToWasm } from './wat.ts';
import { WebAssemblyRuntime } from './webAssembly.ts';

const refused: [string, string, string, Parameters<typeof watToWasm>[1]?][] = [
  ['a foreign import', M.FOREIGN_IMPORT, 'WasmImportNotAllowedError'],
  ['a host import with the wrong signature', M.WRONG_HOST_SIGNATURE, 'WasmImportNotAllowedError'],
  ['an imported memory', M.IMPORTED_MEMORY, 'WasmImportNotAllowedError'],
  ['a missing entry', M.MISSING_ENTRY, 'WasmEntryError'],
  ['an entry with a parameter', M.ENTRY_WITH_PARAM, 'WasmEntryError'],
  ['a too-large memory', M.HUGE_MEMORY, 'WasmMemoryLimitError'],
  ['a start function', M.START_FUNCTION, 'WasmUnsupportedFeatureError'],
  ['SIMD', M.SIMD, 'WasmUnsupportedFeatureError', { simd: true }],
  ['a shared memory', M.SHARED_MEMORY, 'WasmUnsupportedFeatureError', { threads: true }],
  ['bulk memory', M.BULK_MEMORY, 'WasmUnsupportedFeatureError', { bulk_memory: true }],
  ['a reserved export name', M.RESERVED_EXPORT, 'WasmInvalidModuleError'],
];

describe('validateWasmModule', () => {
  it('accepts well-behaved modules and finds the entry', async () => {
    for (const wat of [M.ECHO_PLUS_ONE, M.CONTROL_FLOW, M.NAN_OUTPUTS, M.INFINITE_LOOP]) {
      const m = validateWasmModule(await watToWasm(wat));
      assert.ok(m.entryIndex >= m.imports.length);
    }
  });

  for (const [what, wat, name, features] of refused) {
    it(`refuses ${what} with ${name}`, async () => {
      const bytes = await watToWasm(wat, features);
      assert.throws(() => validateWasmModule(bytes), { name });
    });
  }

  it('checks the entry name and the memory budget it is given', async () => {
    const bytes = await watToWasm(M.ECHO_PLUS_ONE);
    assert.throws(() => validateWasmModule(bytes, { entry: 'main' }), { name: 'WasmEntryError' });
    const fivePages = await watToWasm('(module (memory 5) (func (export "run")))');
    assert.throws(() => validateWasmModule(fivePages, { memoryPages: 4 }), { name: 'WasmMemoryLimitError' });
    assert.ok(validateWasmModule(fivePages, { memoryPages: 5 }));
  });

  it('refuses truncated modules and non-wasm bytes with WasmInvalidModuleError', async () => {
    const bytes = await watToWasm(M.CONTROL_FLOW);
    assert.throws(() => validateWasmModule(bytes.subarray(0, bytes.length - 3)), {
      name: 'WasmInvalidModuleError',
    });
    assert.throws(() => validateWasmModule(new TextEncoder().encode('(module)')), {
      name: 'WasmInvalidModuleError',
    });
    assert.throws(() => validateWasmModule(new Uint8Array(0)), { name: 'WasmInvalidModuleError' });
  });

  it('refuses a module over the size limit with WasmModuleTooLargeError', () => {
    assert.throws(() => validateWasmModule(new Uint8Array(9 * 1024 * 1024)), {
      name: 'WasmModuleTooLargeError',
    });
  });

  it('refuses random bytes with a named error (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        assert.throws(() => validateWasmModule(bytes), { name: 'WasmInvalidModuleError' });
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a mutated module with a named Wasm error, or accepts it and meters it into a valid module (property)', async () => {
    const bytes = await watToWasm(M.CONTROL_FLOW);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const mutated = bytes.slice();
        mutated[8 + (at % (bytes.length - 8))] = value;
        let prepared: Uint8Array;
        try {
          prepared = prepareWasmModule(mutated, { entry: 'run', memoryPages: 4 });
        } catch (err) {
          assert.ok(err instanceof BaseError && err.name.startsWith('Wasm'), String(err));
          return;
        }
        assert.ok(WebAssemblyRuntime.validate(prepared));
      }),
      { numRuns: 500 },
    );
  });
});
