import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { digestBytes } from '../core/digest.ts';
import { createBlobHasher } from './blobHasher.ts';

test('the streaming blob hasher equals core digestBytes for any split of any bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(3000), (bytes, cut) => {
      const h = createBlobHasher();
      h.update(bytes.subarray(0, cut));
      h.update(bytes.subarray(cut));
      assert.equal(h.digest(), digestBytes(bytes));
    }),
    { numRuns: 200 },
  );
});
