import type { Address } from 'viem';
import { activeNodes } from '../chain/actions/activeNodes.ts';
import type { ConcordContext } from '../chain/context.ts';
import { registeredPeerOf } from './registeredPeer.ts';

/** How long the active set is trusted before it is read again, by default. */
export const DEFAULT_ACTIVE_PEERS_TTL_MS = 60_000;

/** Options of {@link activeNodePeers}. */
export type ActiveNodePeersOptions = {
  /** How long a read of the active set is used before the next (ms). */
  ttlMs?: number;
  /** The clock. */
  now?: () => number;
};

/**
 * Whether a peer id is that of an active node of NodeRegistry (stake at
 * least the minimum, its peer binding verified by `registeredPeerOf`): the
 * redialer's `wanted`, so a node keeps redialing nodes of the network and
 * forgets gateways, clients and nodes that left. The active set is read at
 * most once per `ttlMs` (bindings are cached: they never change); when the
 * chain cannot be read the last set answers, and before any set was read
 * the error is thrown (the redialer then keeps trying).
 */
export function activeNodePeers(
  ctx: ConcordContext,
  options: ActiveNodePeersOptions = {},
): (peerId: string) => Promise<boolean> {
  const ttlMs = options.ttlMs ?? DEFAULT_ACTIVE_PEERS_TTL_MS;
  const now = options.now ?? Date.now;
  const bindings = new Map<Address, string | null>();
  let active: { at: number; ids: Set<string> } | undefined;
  let reading: Promise<Set<string>> | undefined;
  const read = async (): Promise<Set<string>> => {
    const ids = new Set<string>();
    for (const { account } of await activeNodes(ctx)) {
      let id = bindings.get(account);
      if (id === undefined) {
        id = (await registeredPeerOf(ctx, account))?.toString() ?? null;
        bindings.set(account, id);
      }
      if (id !== null) ids.add(id);
    }
    return ids;
  };
  const current = async (): Promise<Set<string>> => {
    if (active && now() - active.at < ttlMs) return active.ids;
    reading ??= read().finally(() => {
      reading = undefined;
    });
    try {
      const ids = await reading;
      active = { at: now(), ids };
      return ids;
    } catch (err) {
      if (!active) throw err;
      active.at = now(); // answer from the last set until the next read is due
      return active.ids;
    }
  };
  return async (peerId) => (await current()).has(peerId);
}
