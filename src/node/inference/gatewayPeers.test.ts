import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { ConcordHost } from '../../p2p/createHost.ts';
import { startTestHost, waitFor } from '../../p2p/testing.ts';
import { startGatewayHost } from './gatewayPeers.ts';

// A is the bootstrap node; B and C know only A's address, as in a devnet.
let a: ConcordHost;
let b: ConcordHost;
let c: ConcordHost;
let gateway: ConcordHost;

before(async () => {
  a = await startTestHost();
  b = await startTestHost();
  c = await startTestHost();
  const identified = new Set<string>();
  a.addEventListener('peer:identify', (e) => identified.add(e.detail.peerId.toString()));
  await b.dial(a.getMultiaddrs());
  await c.dial(a.getMultiaddrs());
  await waitFor(
    () => identified.size >= 2,
    'the bootstrap node to identify both peers (its DHT learns them)',
  );
  gateway = await startGatewayHost(c);
});

after(async () => {
  await Promise.all([gateway, a, b, c].map((h) => h?.stop()));
});

it("reaches a peer it has no address for through the node's host and the DHT", async () => {
  assert.equal(
    (await gateway.peerStore.has(b.peerId)) && (await gateway.peerStore.get(b.peerId)).addresses.length > 0,
    false,
  );
  const connection = await gateway.dial(b.peerId, { signal: AbortSignal.timeout(15_000) });
  assert.ok(connection.remotePeer.equals(b.peerId));
});

it('is its own peer, so it can dial the node it was started for', async () => {
  assert.ok(!gateway.peerId.equals(c.peerId));
  const connections = gateway.getConnections(c.peerId);
  assert.ok(connections.length > 0, 'connected to the node host at start');
});
