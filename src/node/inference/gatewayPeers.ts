import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { type Address, getAddress } from 'viem';
import type { ConcordContext } from '../../chain/context.ts';
import { type ConcordHost, createHost } from '../../p2p/createHost.ts';
import { registeredPeerOf } from '../registeredPeer.ts';

/** The multiaddr protocol code of `/p2p/<id>`. */
const P2P_CODE = 421;
/** Time a warm-up dial may take. */
const WARM_UP_TIMEOUT_MS = 10_000;

/**
 * Starts the libp2p host a node's gateways dial from. It is a second host
 * beside the node's own, because libp2p refuses to dial itself and the node's
 * own inference host is usually in the plan. It joins the network through the
 * node's host, so it finds every other host through the node's connections
 * and the DHT.
 */
export async function startGatewayHost(nodeHost: ConcordHost): Promise<ConcordHost> {
  const host = await createHost({ privateKey: await generateKeyPair('Ed25519') });
  try {
    await host.dial(nodeHost.getMultiaddrs(), { signal: AbortSignal.timeout(10_000) });
    return host;
  } catch (err) {
    await host.stop();
    throw err;
  }
}

/**
 * Resolves the planned hosts' accounts to the libp2p peer ids they registered
 * in NodeRegistry with a valid peer binding (`registeredPeerOf`; cached: a
 * binding never changes), and tells the gateway
 * host every address the node's own host knows for them, so a gateway dials
 * known peers at once and looks the others up in the DHT.
 */
export class GatewayPeers {
  readonly #ctx: ConcordContext;
  readonly #nodeHost: ConcordHost;
  readonly #gatewayHost: ConcordHost;
  /** Peer id per account; null for an account without a verified peer binding. */
  readonly #ids = new Map<Address, PeerId | null>();

  /** `nodeHost` is the node's own libp2p host, `gatewayHost` the one gateways dial from. */
  constructor(ctx: ConcordContext, nodeHost: ConcordHost, gatewayHost: ConcordHost) {
    this.#ctx = ctx;
    this.#nodeHost = nodeHost;
    this.#gatewayHost = gatewayHost;
  }

  /**
   * The peer of each account: its peer id, or no address at all when it
   * registered bytes that are not a peer id or a peer id whose key did not sign
   * the binding to it (calls to it fail and the gateway turns to the shard's
   * standbys, so such a node cannot stop the others).
   */
  async resolve(accounts: readonly Address[]): Promise<Map<Address, PeerId | Multiaddr[]>> {
    const peers = new Map<Address, PeerId | Multiaddr[]>();
    for (const account of new Set(accounts.map((a) => getAddress(a)))) {
      let id = this.#ids.get(account);
      if (id === undefined) {
        id = await registeredPeerOf(this.#ctx, account);
        this.#ids.set(account, id);
      }
      if (id === null) {
        peers.set(account, []);
        continue;
      }
      const addrs = await this.#knownAddresses(id);
      if (addrs.length > 0) await this.#gatewayHost.peerStore.merge(id, { multiaddrs: addrs });
      peers.set(account, id);
    }
    return peers;
  }

  /**
   * Dials every resolved peer from the gateway host in the background, so the
   * first session does not wait for DHT lookups; failures are ignored (a
   * session fails over around a host it cannot reach).
   */
  warmUp(peers: ReadonlyMap<Address, PeerId | Multiaddr[]>): void {
    for (const peer of peers.values()) {
      if (Array.isArray(peer)) continue;
      this.#gatewayHost
        .dial(peer, { signal: AbortSignal.timeout(WARM_UP_TIMEOUT_MS) })
        .catch(() => undefined);
    }
  }

  async #knownAddresses(id: PeerId): Promise<Multiaddr[]> {
    if (id.equals(this.#nodeHost.peerId)) {
      return this.#nodeHost.getMultiaddrs().map((ma) => ma.decapsulateCode(P2P_CODE));
    }
    const peer = await this.#nodeHost.peerStore.get(id).catch(() => undefined);
    return peer?.addresses.map((a) => a.multiaddr) ?? [];
  }
}
