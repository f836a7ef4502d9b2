import assert from 'node:assert/strict';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { PeerInfo } from '@libp2p/interface';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { openStore } from '../store/openStore.ts';
import { tempDir } from '../store/testing.ts';
import { signBlobRequest } from './blobRequest.ts';
import { serveBlobs, storeBlobSource } from './blobServer.ts';
import { PEER_KEY_FILE } from './constants.ts';
import { createHost } from './createHost.ts';
import { fetchBlob } from './fetchBlob.ts';
import { loadOrCreatePeerKey } from './peerKey.ts';
import { startTestHost, waitFor } from './testing.ts';

const tmp = tempDir('host');
after(tmp.cleanup);

test('a restarted host keeps its peer id; the key file is mode 0600', async () => {
  const dataDir = join(tmp.dir, 'node-a');
  const first = await createHost({ dataDir });
  const id = first.peerId.toString();
  await first.stop();
  assert.equal(statSync(join(dataDir, PEER_KEY_FILE)).mode & 0o777, 0o600);
  const second = await createHost({ dataDir });
  assert.equal(second.peerId.toString(), id);
  assert.equal(second.peerId.type, 'Ed25519');
  await second.stop();
  const other = await createHost({ dataDir: join(tmp.dir, 'node-b') });
  assert.notEqual(other.peerId.toString(), id);
  await other.stop();
});

test('a readable or invalid key file is refused; a host needs a key', async () => {
  const dataDir = join(tmp.dir, 'node-c');
  await loadOrCreatePeerKey(dataDir);
  chmodSync(join(dataDir, PEER_KEY_FILE), 0o644);
  await assert.rejects(loadOrCreatePeerKey(dataDir), { name: 'PeerKeyPermissionsError' });
  writeFileSync(join(dataDir, PEER_KEY_FILE), 'not a key', { mode: 0o600 });
  chmodSync(join(dataDir, PEER_KEY_FILE), 0o600);
  await assert.rejects(loadOrCreatePeerKey(dataDir), { name: 'PeerKeyInvalidError' });
  await assert.rejects(createHost({}), { name: 'HostConfigError' });
});

test('three hosts connect through a bootstrap peer, answer pings and find each other in the DHT', async () => {
  const a = await startTestHost();
  const list = a.getMultiaddrs().map((m) => m.toString());
  assert.ok(list[0]?.includes(`/p2p/${a.peerId}`));
  const b = await startTestHost({ bootstrap: list });
  const c = await startTestHost({ bootstrap: list });
  try {
    await waitFor(() => a.getConnections().length >= 2, 'a to see b and c');
    for (const h of [b, c]) {
      assert.ok(h.getConnections(a.peerId).length > 0);
      assert.ok((await h.services.ping.ping(a.peerId)) >= 0);
    }
    // The DHT fills its routing table in the background; retry until it answers.
    let found: PeerInfo | undefined;
    for (let attempt = 0; !found && attempt < 10; attempt++) {
      found = await c.peerRouting
        .findPeer(b.peerId, { signal: AbortSignal.timeout(3_000) })
        .catch(async () => {
          await new Promise((r) => setTimeout(r, 200));
          return undefined;
        });
    }
    assert.ok(found, 'c found b through the DHT');
    assert.ok(found.multiaddrs.some((m) => m.equals(b.getMultiaddrs()[0]!.decapsulateCode(421))));
  } finally {
    await Promise.all([a.stop(), b.stop(), c.stop()]);
  }
});

test('a blob is fetched from a peer known only by its id (address found through the network)', async () => {
  const store = openStore(join(tmp.dir, 'by-id'));
  const hub = await startTestHost();
  const list = hub.getMultiaddrs().map((m) => m.toString());
  const holder = await startTestHost({ bootstrap: list });
  const fetcher = await startTestHost({ bootstrap: list });
  try {
    const blob = new Uint8Array(70_000).fill(42);
    const digest = store.blobs.putBlob(blob);
    await serveBlobs(holder, {
      chainId: 5,
      chainTime: async () => 2_000_000_000,
      authorize: async () => true,
      source: storeBlobSource(store.blobs),
    });
    await waitFor(() => hub.getConnections().length >= 2, 'both to join the hub');
    const account = privateKeyToAccount(generatePrivateKey());
    let got: Uint8Array | undefined;
    // The DHT fills its routing table in the background; retry like the node does.
    for (let attempt = 0; !got && attempt < 10; attempt++) {
      const request = await signBlobRequest(account, {
        digest,
        chainId: 5,
        purpose: 'pool',
        context: '1',
        chainTime: 2_000_000_000,
      });
      got = await fetchBlob(fetcher, { peer: holder.peerId, request, timeoutMs: 3000 }).catch(async () => {
        await new Promise((r) => setTimeout(r, 200));
        return undefined;
      });
    }
    assert.deepEqual(got, blob);
  } finally {
    await Promise.all([hub.stop(), holder.stop(), fetcher.stop()]);
    store.close();
  }
});
