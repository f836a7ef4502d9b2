import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { openStore } from '../store/openStore.ts';
import { tempDir } from '../store/testing.ts';
import { dialableAddrs, trackKnownPeers } from './knownPeers.ts';
import { startTestHost, waitFor } from './testing.ts';

const tmp = tempDir('known-peers');
after(tmp.cleanup);

test('identified peers are remembered and a new host rejoins through them', async () => {
  const store = openStore(tmp.dir);
  const a = await startTestHost();
  const b = await startTestHost();
  const stop = trackKnownPeers(a, store.peers);
  try {
    await b.dial(a.getMultiaddrs()[0]!);
    await waitFor(() => store.peers.get(b.peerId.toString()) !== undefined, 'a to record b');
    const addrs = store.peers.list().flatMap(dialableAddrs);
    assert.ok(addrs.some((x) => x.endsWith(`/p2p/${b.peerId}`)));
    const c = await startTestHost({ bootstrap: addrs });
    try {
      await waitFor(() => c.getConnections(b.peerId).length > 0, 'c to reach b from the peer book');
    } finally {
      await c.stop();
    }
  } finally {
    stop();
    await Promise.all([a.stop(), b.stop()]);
    store.close();
  }
});
