import type { IdentifyResult } from '@libp2p/interface';
import type { KnownPeer, PeerBook } from '../store/peers.ts';
import type { ConcordHost } from './createHost.ts';

/**
 * Records every identified peer (its listen addresses, seen now) in the
 * store's peer book, so a restarted node can rejoin without its bootstrap
 * list. Returns the function that stops tracking.
 */
export function trackKnownPeers(host: ConcordHost, peers: PeerBook): () => void {
  const onIdentify = (evt: CustomEvent<IdentifyResult>) => {
    const addrs = evt.detail.listenAddrs.map((a) => a.toString());
    if (addrs.length > 0) peers.upsert(evt.detail.peerId.toString(), addrs);
  };
  host.addEventListener('peer:identify', onIdentify);
  return () => host.removeEventListener('peer:identify', onIdentify);
}

/** Dialable multiaddrs (`…/p2p/<id>`) of the most recently seen peers, for `createHost({ bootstrap })`. */
export function knownPeerAddrs(peers: PeerBook, limit = 20): string[] {
  return peers
    .list(limit)
    .flatMap((p: KnownPeer) => p.multiaddrs.map((a) => (a.includes('/p2p/') ? a : `${a}/p2p/${p.peerId}`)));
}
