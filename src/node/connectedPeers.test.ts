import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectedPeers } from './connectedPeers.ts';

/** A connection as libp2p lists it: the remote peer id and the address it is connected on. */
const conn = (peer: string, addr: string) => ({
  remotePeer: { toString: () => peer },
  remoteAddr: { toString: () => addr },
});

describe('connectedPeers', () => {
  it('lists each peer once with all its addresses, leaving out the node’s own identities', () => {
    const peers = connectedPeers(
      [
        conn('peerA', '/ip4/127.0.0.1/tcp/1'),
        conn('gatewayOfThisNode', '/ip4/127.0.0.1/tcp/9'),
        conn('peerA', '/ip4/127.0.0.1/tcp/2'),
        conn('gatewayOfThisNode', '/ip4/127.0.0.1/tcp/10'),
        conn('peerB', '/ip4/127.0.0.1/tcp/3'),
        conn('peerA', '/ip4/127.0.0.1/tcp/1'),
      ] as unknown as Parameters<typeof connectedPeers>[0],
      new Set(['gatewayOfThisNode', 'thisNode']),
    );
    assert.deepEqual(peers, [
      { peerId: 'peerA', addrs: ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'], connected: true },
      { peerId: 'peerB', addrs: ['/ip4/127.0.0.1/tcp/3'], connected: true },
    ]);
  });
});
