import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256 as portableSha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { sha256 } from './sha256.ts';

test('the platform hash agrees with the portable one on any input', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 7 }), (bytes, offset) => {
      const view = new Uint8Array(bytes.length + offset).fill(0xaa).subarray(offset);
      view.set(bytes);
      assert.deepEqual(sha256(view), portableSha256(bytes));
    }),
    { numRuns: 300 },
  );
});

test('hashes a million "a" bytes to the FIPS 180-2 vector', () => {
  const hex = Buffer.from(sha256(new Uint8Array(1_000_000).fill(0x61))).toString('hex');
  assert.equal(hex, 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
});
