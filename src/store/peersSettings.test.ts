import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { openStore } from './openStore.ts';
import { tempDir } from './testing.ts';

const { dir, cleanup } = tempDir('peers');
after(cleanup);

test('known peers are upserted, listed newest first, pruned and kept across reopen', () => {
  const store = openStore(dir);
  store.peers.upsert('12D3KooA', ['/ip4/127.0.0.1/tcp/1'], 100);
  store.peers.upsert('12D3KooB', ['/ip4/127.0.0.1/tcp/2'], 200);
  store.peers.upsert('12D3KooA', ['/ip4/127.0.0.1/tcp/3', '/ip4/127.0.0.1/tcp/4'], 300);
  assert.deepEqual(
    store.peers.list().map((p) => p.peerId),
    ['12D3KooA', '12D3KooB'],
  );
  assert.deepEqual(store.peers.get('12D3KooA')?.multiaddrs, ['/ip4/127.0.0.1/tcp/3', '/ip4/127.0.0.1/tcp/4']);
  assert.throws(() => store.peers.upsert('', []), { name: 'PeerRecordError' });
  assert.throws(() => store.peers.upsert('x', ['127.0.0.1:4001']), { name: 'PeerRecordError' });
  store.close();
  const again = openStore(dir);
  assert.equal(again.peers.pruneBefore(250), 1);
  assert.deepEqual(
    again.peers.list().map((p) => p.lastSeen),
    [300],
  );
  assert.equal(again.peers.forget('12D3KooA'), true);
  assert.equal(again.peers.forget('12D3KooA'), false);
  assert.deepEqual(again.peers.list(), []);
  again.close();
});

test('settings are set, replaced, deleted and persist', () => {
  const store = openStore(dir);
  assert.equal(store.settings.get('chain'), undefined);
  store.settings.set('chain', 'http://127.0.0.1:8545');
  store.settings.set('chain', 'http://127.0.0.1:9545');
  store.close();
  const again = openStore(dir);
  assert.equal(again.settings.get('chain'), 'http://127.0.0.1:9545');
  assert.equal(again.settings.delete('chain'), true);
  assert.equal(again.settings.delete('chain'), false);
  again.close();
});
