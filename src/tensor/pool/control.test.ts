import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CALL_OVER, CLAIM, claimChunk } from './control.ts';

describe('claimChunk', () => {
  it('hands out each chunk of the open call once, then nothing', () => {
    const claim = new BigInt64Array(new SharedArrayBuffer(8));
    claim[CLAIM] = 7n << 32n;
    assert.deepEqual(
      Array.from({ length: 5 }, () => claimChunk(claim, 7, 3)),
      [0, 1, 2, -1, -1],
    );
  });

  it('gives nothing of another call, or of a call marked over', () => {
    const claim = new BigInt64Array(new SharedArrayBuffer(8));
    claim[CLAIM] = 8n << 32n;
    assert.equal(claimChunk(claim, 7, 3), -1, 'a late worker of call 7 once call 8 is open');
    assert.equal(claimChunk(claim, 8, 3), 0);
    claim[CLAIM] = (8n << 32n) | CALL_OVER;
    assert.equal(claimChunk(claim, 8, 2 ** 31), -1, 'even with arguments torn by the next call');
  });
});
