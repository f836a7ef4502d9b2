import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { bootstrap } from '@libp2p/bootstrap';
import { type GossipSub, gossipsub } from '@libp2p/gossipsub';
import { type Identify, identify } from '@libp2p/identify';
import type { Libp2p, PrivateKey } from '@libp2p/interface';
import { type KadDHT, kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht';
import { type Ping, ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import { nonLoopbackFirst } from '../core/netHosts.ts';
import { DEFAULT_LISTEN, DEFAULT_MAX_CONNECTIONS, DHT_PROTOCOL } from './constants.ts';
import { HostConfigError } from './errors.ts';
import { loadOrCreatePeerKey } from './peerKey.ts';

/** The libp2p services every Concord host runs. */
export type ConcordServices = {
  identify: Identify;
  ping: Ping;
  pubsub: GossipSub;
  dht: KadDHT;
};

/** A started libp2p node with Concord's services; stop it with `host.stop()`. */
export type ConcordHost = Libp2p<ConcordServices>;

/** Parameters of `createHost`; give `dataDir` (persistent key) or `privateKey`. */
export type CreateHostParameters = {
  /** Directory holding `peer.key`; created on first start. */
  dataDir?: string;
  /** An explicit peer key (takes precedence over `dataDir`). */
  privateKey?: PrivateKey;
  /** Listen multiaddrs; default `/ip4/127.0.0.1/tcp/0`. */
  listen?: string[];
  /** Multiaddrs (with `/p2p/<id>`) of peers to join through. */
  bootstrap?: string[];
  /** Addresses to announce instead of the listen addresses (e.g. a public IP). */
  announce?: string[];
  /** Cap on open connections; default 128. */
  maxConnections?: number;
  /**
   * Keep only public addresses in the DHT (for internet deployments). Off by
   * default so loopback and LAN networks work.
   */
  publicDhtOnly?: boolean;
};

/**
 * Creates and starts a libp2p host: TCP, Noise, Yamux, identify, ping,
 * gossipsub (signed messages) and a Concord-only Kademlia DHT, with bootstrap
 * discovery when peers are given (never mDNS).
 */
export async function createHost(params: CreateHostParameters): Promise<ConcordHost> {
  const privateKey =
    params.privateKey ??
    (params.dataDir === undefined ? undefined : await loadOrCreatePeerKey(params.dataDir));
  if (!privateKey) {
    throw new HostConfigError('A host needs a peer key.', {
      hint: 'Pass dataDir (the key is kept there) or privateKey.',
    });
  }
  const bootstrapList = params.bootstrap ?? [];
  return createLibp2p<ConcordServices>({
    privateKey,
    addresses: {
      listen: params.listen ?? DEFAULT_LISTEN,
      ...(params.announce ? { announce: params.announce } : {}),
      // Peers try addresses in the order given: another machine first, this one's loopback last.
      announceFilter: (addrs) => nonLoopbackFirst(addrs),
    },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: bootstrapList.length > 0 ? [bootstrap({ list: bootstrapList })] : [],
    // One reconnection mechanism: the node's Redialer (bounded, remembered, active nodes only).
    // libp2p's own queue would otherwise retry the peers the DHT tags keep-alive for about 75 s.
    connectionManager: {
      maxConnections: params.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      reconnectRetries: 0,
    },
    services: {
      identify: identify(),
      ping: ping({ maxInboundStreams: 8, maxOutboundStreams: 8 }),
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false }),
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        clientMode: false,
        peerInfoMapper: params.publicDhtOnly ? removePrivateAddressesMapper : passthroughMapper,
      }),
    },
  });
}
