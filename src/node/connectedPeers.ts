import type { Connection } from '@libp2p/interface';
import type { PeerView } from './api/types.ts';

/**
 * The peers of `connections` as `GET /v1/peers` shows them: one per peer id
 * (a peer is often connected twice, each side having dialled) with every
 * address it is connected on, leaving out the peer ids in `own` — the node's
 * own identities, such as the host its gateways dial from, which connects to
 * the node and is no other peer.
 */
export function connectedPeers(
  connections: readonly Pick<Connection, 'remotePeer' | 'remoteAddr'>[],
  own: ReadonlySet<string>,
): Omit<PeerView, 'node'>[] {
  const byPeer = new Map<string, Set<string>>();
  for (const c of connections) {
    const id = c.remotePeer.toString();
    if (own.has(id)) continue;
    const addrs = byPeer.get(id) ?? new Set<string>();
    addrs.add(c.remoteAddr.toString());
    byPeer.set(id, addrs);
  }
  return [...byPeer].map(([peerId, addrs]) => ({ peerId, addrs: [...addrs], connected: true }));
}
