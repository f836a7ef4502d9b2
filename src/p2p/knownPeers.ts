import type { IdentifyResult } from '@libp2p/interface';
import type { KnownPeer, PeerBook } from '../store/peers.ts';
import { asError } from './asError.ts';
import type { ConcordHost } from './createHost.ts';

/**
 * Records every identified peer (its listen addresses, seen now) in the
 * store's peer book, so a restarted or partitioned node can rejoin without
 * its bootstrap list (see `Redialer`). A failed write (a full disk) is
 * logged, not thrown. Returns the function that stops tracking.
 */
export function trackKnownPeers(
  host: ConcordHost,
  peers: PeerBook,
  log: (line: string) => void = () => undefined,
): () => void {
  const onIdentify = (evt: CustomEvent<IdentifyResult>) => {
    const addrs = evt.detail.listenAddrs.map((a) => a.toString());
    if (addrs.length === 0) return;
    try {
      peers.upsert(evt.detail.peerId.toString(), addrs);
    } catch (err) {
      log(`peer book: ${asError(err).message}`);
    }
  };
  host.addEventListener('peer:identify', onIdentify);
  return () => host.removeEventListener('peer:identify', onIdentify);
}

/** A known peer's multiaddrs in dialable form (ending in `/p2p/<id>`, so the dial checks who answers). */
export function dialableAddrs(peer: KnownPeer): string[] {
  return peer.multiaddrs.map((a) => (a.includes('/p2p/') ? a : `${a}/p2p/${peer.peerId}`));
}
