import type { PeerId } from '@libp2p/interface';
import type { Address } from 'viem';
import { getNode } from '../chain/actions/getNode.ts';
import type { ConcordContext } from '../chain/context.ts';
import { peerIdFromBytes, verifyPeerBinding } from './peerBinding.ts';

/**
 * The libp2p peer id `account` registered in NodeRegistry, trusted only when
 * its `peerSig` proves that the peer key bound itself to this account on this
 * registry and chain. Null when the account is not registered, its bytes are
 * no peer id, or the signature does not verify: the registry cannot check the
 * Ed25519 signature and lets any account name any peer id, so a squatter that
 * names (or copies the registration of) another node's peer id is never
 * taken for that node.
 */
export async function registeredPeerOf(ctx: ConcordContext, account: Address): Promise<PeerId | null> {
  const node = await getNode(ctx, { account });
  if (!node.registered) return null;
  const domain = { chainId: ctx.chain.id, registry: ctx.addresses.registry, account };
  if (!(await verifyPeerBinding(node.peerId, node.peerSig, domain))) return null;
  return peerIdFromBytes(node.peerId);
}
