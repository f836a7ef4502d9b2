import type { PeerId, PrivateKey } from '@libp2p/interface';
import { peerIdFromMultihash, peerIdFromPrivateKey } from '@libp2p/peer-id';
import * as Digest from 'multiformats/hashes/digest';
import { type Address, bytesToHex, encodeAbiParameters, type Hex, hexToBytes, keccak256 } from 'viem';
import { PeerIdBytesError } from './errors.ts';

/**
 * The binding of a node's libp2p peer id to its EVM account, registered in
 * NodeRegistry: `peerId` is the peer id's multihash bytes, and `peerSig` the
 * peer key's signature over `keccak256(abi.encode("concord/peer-binding/1",
 * chainId, registry, account))`, so it is valid for one account on one
 * registry of one chain only. Peers check it with `verifyPeerBinding`.
 */
export type PeerBindingDomain = { chainId: number; registry: Address; account: Address };

const BINDING_TAG = 'concord/peer-binding/1';

/** The on-chain bytes of a peer id (its multihash). */
export function peerIdToBytes(peerId: PeerId): Hex {
  return bytesToHex(peerId.toMultihash().bytes);
}

/** The peer id registered as `bytes` (`PeerIdBytesError` if they are not a peer id multihash). */
export function peerIdFromBytes(bytes: Hex): PeerId {
  try {
    return peerIdFromMultihash(Digest.decode(hexToBytes(bytes)));
  } catch (cause) {
    throw new PeerIdBytesError('Registered peer id bytes are not a libp2p peer id.', {
      details: `${bytes.length / 2 - 1} bytes`,
      hint: 'The node registered something else as its peer id; it cannot be reached over p2p.',
      cause,
    });
  }
}

/** The message a peer key signs to bind itself to an account. */
export function peerBindingMessage(domain: PeerBindingDomain): Uint8Array {
  const encoded = encodeAbiParameters(
    [{ type: 'string' }, { type: 'uint256' }, { type: 'address' }, { type: 'address' }],
    [BINDING_TAG, BigInt(domain.chainId), domain.registry, domain.account],
  );
  return hexToBytes(keccak256(encoded));
}

/** Signs the binding with the node's peer key; returns `{ peerId, peerSig }` for `register`. */
export async function signPeerBinding(
  peerKey: PrivateKey,
  domain: PeerBindingDomain,
): Promise<{ peerId: Hex; peerSig: Hex }> {
  const signature = await peerKey.sign(peerBindingMessage(domain));
  return { peerId: peerIdToBytes(peerIdFromPrivateKey(peerKey)), peerSig: bytesToHex(signature) };
}

/** Whether `peerSig` binds the registered `peerId` to `domain.account`. */
export async function verifyPeerBinding(
  peerId: Hex,
  peerSig: Hex,
  domain: PeerBindingDomain,
): Promise<boolean> {
  try {
    const key = peerIdFromBytes(peerId).publicKey;
    if (!key) return false;
    return await key.verify(peerBindingMessage(domain), hexToBytes(peerSig));
  } catch {
    return false;
  }
}
