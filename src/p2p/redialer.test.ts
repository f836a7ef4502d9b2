import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { freePort } from '../chain/anvil.ts';
import { openStore, type Store } from '../store/openStore.ts';
import { tempDir } from '../store/testing.ts';
import type { ConcordHost } from './createHost.ts';
import { trackKnownPeers } from './knownPeers.ts';
import { Redialer } from './redialer.ts';
import { startTcpProxy, startTestHost, type TcpProxy, waitFor } from './testing.ts';

const tmp = tempDir('redialer');
after(tmp.cleanup);

/** Short backoff so a partition of a few seconds spans several failed redials. */
const FAST = { initialDelayMs: 100, maxDelayMs: 800, dialTimeoutMs: 2_000 };

/** A host reachable only through its own proxy (it announces the proxy's port), with a peer book. */
async function proxiedHost(name: string): Promise<{ host: ConcordHost; proxy: TcpProxy; store: Store }> {
  const port = await freePort();
  const proxy = await startTcpProxy(port);
  const host = await startTestHost({
    listen: [`/ip4/127.0.0.1/tcp/${port}`],
    announce: [`/ip4/127.0.0.1/tcp/${proxy.port}`],
  });
  return { host, proxy, store: openStore(join(tmp.dir, name)) };
}

const connected = (a: ConcordHost, b: ConcordHost) => a.getConnections(b.peerId).length > 0;

test('after a partition longer than the first redials, remembered peers reconnect without a restart; an unwanted peer is forgotten', async () => {
  const [a, b, c] = await Promise.all([proxiedHost('a'), proxiedHost('b'), proxiedHost('c')]);
  const logA: string[] = [];
  const stops = [a, b, c].map((n) => trackKnownPeers(n.host, n.store.peers));
  const cId = c.host.peerId.toString();
  const redialA = new Redialer(a.host, a.store.peers, {
    ...FAST,
    wanted: (id) => id !== cId,
    log: (line) => logA.push(line),
  });
  const redialB = new Redialer(b.host, b.store.peers, FAST);
  redialA.start();
  redialB.start();
  try {
    await b.host.dial(a.host.getMultiaddrs()[0]!);
    await c.host.dial(a.host.getMultiaddrs()[0]!);
    await waitFor(
      () => [b, c].every((n) => a.store.peers.get(n.host.peerId.toString()) !== undefined),
      'a to remember b and c',
    );
    await waitFor(() => b.store.peers.get(a.host.peerId.toString()) !== undefined, 'b to remember a');
    assert.deepEqual(a.store.peers.get(b.host.peerId.toString())?.multiaddrs, [
      `/ip4/127.0.0.1/tcp/${b.proxy.port}`,
    ]);

    await Promise.all([a.proxy.cut(), b.proxy.cut(), c.proxy.cut()]);
    await waitFor(() => !connected(a.host, b.host) && !connected(a.host, c.host), 'the partition');
    await new Promise((r) => setTimeout(r, 2_500));
    assert.ok(!connected(a.host, b.host));
    assert.deepEqual(redialA.lost, [b.host.peerId.toString()], 'a redials b, not the unwanted c');
    assert.equal(a.store.peers.get(cId), undefined, 'c is forgotten');
    assert.equal(logA.filter((l) => l.includes('unreachable')).length, 1, logA.join('\n'));

    await Promise.all([a.proxy.heal(), b.proxy.heal(), c.proxy.heal()]);
    const healed = Date.now();
    await waitFor(() => connected(a.host, b.host), 'a and b to reconnect', 5_000);
    // At most one capped delay (plus jitter inside the cap) and a dial after the heal.
    assert.ok(
      Date.now() - healed < FAST.maxDelayMs + 2_000,
      `reconnected ${Date.now() - healed} ms after heal`,
    );
    await waitFor(() => logA.some((l) => l.includes('reconnected')), 'the reconnect line');
    const line = logA.find((l) => l.includes('reconnected'))!;
    const failed = Number(/after (\d+) failed attempts/.exec(line)?.[1]);
    assert.ok(failed >= 3, line);
    assert.deepEqual(redialA.lost, []);
    await new Promise((r) => setTimeout(r, FAST.maxDelayMs));
    assert.ok(!connected(a.host, c.host), 'nobody redials c');
    assert.equal(logA.length, 2, logA.join('\n'));
  } finally {
    redialA.stop();
    redialB.stop();
    for (const stop of stops) stop();
    for (const n of [a, b, c]) {
      await n.host.stop();
      await n.proxy.close();
      n.store.close();
    }
  }
});

test('a node restarted with its store dials its remembered peers with no bootstrap list; stale peers are pruned', async () => {
  const dir = join(tmp.dir, 'restart');
  const key = await generateKeyPair('Ed25519');
  const peer = await startTestHost();
  let store = openStore(dir);
  let node = await startTestHost({ privateKey: key });
  let stopTracking = trackKnownPeers(node, store.peers);
  let redialer = new Redialer(node, store.peers, FAST);
  redialer.start();
  try {
    await node.dial(peer.getMultiaddrs()[0]!);
    await waitFor(
      () => store.peers.get(peer.peerId.toString()) !== undefined,
      'the node to remember its peer',
    );
    store.peers.upsert('12D3KooWStalePeerNotSeenForWeeks', ['/ip4/127.0.0.1/tcp/9'], 0);
    redialer.stop();
    stopTracking();
    await node.stop();
    store.close();
    await waitFor(() => peer.getConnections(node.peerId).length === 0, 'the peer to see the node go');

    store = openStore(dir);
    node = await startTestHost({ privateKey: key }); // no bootstrap list
    stopTracking = trackKnownPeers(node, store.peers);
    redialer = new Redialer(node, store.peers, FAST);
    redialer.start();
    assert.equal(store.peers.get('12D3KooWStalePeerNotSeenForWeeks'), undefined);
    await waitFor(
      () => peer.getConnections(node.peerId).length > 0,
      'the restarted node to dial its peer',
      5_000,
    );
  } finally {
    redialer.stop();
    stopTracking();
    await Promise.all([node.stop(), peer.stop()]);
    store.close();
  }
});
