import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { Address } from 'viem';
import { peerIdFromBytes, peerIdToBytes, signPeerBinding, verifyPeerBinding } from './peerBinding.ts';

const domain = {
  chainId: 31337,
  registry: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Address,
  account: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as Address,
};

describe('peer binding', () => {
  it('round-trips a peer id through its registered bytes', async () => {
    const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
    assert.ok(peerIdFromBytes(peerIdToBytes(peerId)).equals(peerId));
  });

  it('verifies a binding only for the signed account, registry and chain', async () => {
    const key = await generateKeyPair('Ed25519');
    const { peerId, peerSig } = await signPeerBinding(key, domain);
    assert.equal(await verifyPeerBinding(peerId, peerSig, domain), true);
    assert.equal(await verifyPeerBinding(peerId, peerSig, { ...domain, chainId: 1 }), false);
    assert.equal(
      await verifyPeerBinding(peerId, peerSig, {
        ...domain,
        account: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      }),
      false,
    );
    const other = await signPeerBinding(await generateKeyPair('Ed25519'), domain);
    assert.equal(await verifyPeerBinding(peerId, other.peerSig, domain), false);
  });

  it('rejects bytes that are not a peer id', () => {
    assert.throws(() => peerIdFromBytes('0x0102'), { name: 'PeerIdBytesError' });
  });
});
