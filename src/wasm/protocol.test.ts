import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BaseError } from '../core/errors.ts';
import * as errors from './errors.ts';
import { deserializeError, serializeError } from './protocol.ts';

describe('wasm worker protocol', () => {
  it('carries every wasm error class across the thread boundary with its name, details and hint', () => {
    for (const [name, Cls] of Object.entries(errors)) {
      const original = new (Cls as new (m: string, p: object) => BaseError)('what went wrong', {
        details: 'some facts',
        hint: 'what to do',
      });
      const copy = deserializeError(structuredClone(serializeError(original)));
      assert.equal(copy.name, name);
      assert.ok(copy instanceof Cls);
      assert.equal(copy.shortMessage, 'what went wrong');
      assert.equal(copy.details, 'some facts');
      assert.equal(copy.hint, 'what to do');
    }
  });

  it('turns any other error into WasmRunnerCrashedError', () => {
    for (const err of [new TypeError('boom'), 'a string', { name: 'TaskSpecError', shortMessage: 'x' }]) {
      const copy = deserializeError(serializeError(err));
      assert.equal(copy.name, 'WasmRunnerCrashedError');
    }
  });
});
