import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Hex } from 'viem';
import { openStore } from './openStore.ts';
import { tempDir } from './testing.ts';

const { dir, cleanup } = tempDir('sent-txs');
after(cleanup);
let clock = 1_000;
const store = openStore(dir, { now: () => clock++ });
after(() => store.close());
const hash = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;

test('a transaction is journaled when sent, followed while sent or mined, and kept per task', () => {
  const { sentTxs } = store;
  sentTxs.recordSent({ taskIds: [1n], action: 'commit', txHash: hash(0xa), nonce: 3 });
  sentTxs.recordSent({ taskIds: [1n, 2n], action: 'claim', txHash: hash(0xb), nonce: 4 });
  assert.deepEqual(
    sentTxs.unconfirmed().map((t) => [t.txHash, t.status, t.block]),
    [
      [hash(0xa), 'sent', null],
      [hash(0xb), 'sent', null],
    ],
    'one entry per hash, a claimMany included once',
  );
  sentTxs.mark(hash(0xa), 'mined', 10n);
  sentTxs.mark(hash(0xb), 'confirmed', 11n);
  assert.deepEqual(
    sentTxs.unconfirmed().map((t) => [t.txHash, t.status, t.block]),
    [[hash(0xa), 'mined', 10n]],
  );
  sentTxs.mark(hash(0xa), 'dropped', null);
  assert.deepEqual(sentTxs.unconfirmed(), []);
  assert.deepEqual(
    sentTxs.forTask(1n).map((t) => [t.action, t.nonce, t.status]),
    [
      ['commit', 3, 'dropped'],
      ['claim', 4, 'confirmed'],
    ],
  );
  assert.deepEqual(
    sentTxs.forTask(2n).map((t) => t.action),
    ['claim'],
  );
  // Journaling the same send again changes nothing.
  sentTxs.recordSent({ taskIds: [1n], action: 'commit', txHash: hash(0xa), nonce: 3 });
  assert.equal(sentTxs.forTask(1n)[0]!.status, 'dropped');
});
