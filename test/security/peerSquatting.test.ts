// Finding 9 of issue 15 (peer ids): the registry cannot verify a libp2p signature, so it must not
// let a squatter reserve another node's peer id, and nodes must not trust an unverified binding.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { parseEther } from 'viem';
import { register } from '../../src/chain/actions/register.ts';
import type { ConcordContext } from '../../src/chain/context.ts';
import { ensureRegistered } from '../../src/node/ensureRegistered.ts';
import { signPeerBinding } from '../../src/node/peerBinding.ts';
import { registeredPeerOf } from '../../src/node/registeredPeer.ts';
import { startTestChain, type TestChain } from '../contracts/harness.ts';

const MIN = parseEther('100');

describe('security: peer id squatting (finding 9)', () => {
  let chain: TestChain;
  const ctx = (i: number): ConcordContext => ({ ...chain.clients[i]!, addresses: chain.addresses });

  before(async () => {
    chain = await startTestChain({ minStake: MIN });
  });
  after(async () => {
    await chain?.stop();
  });

  it("a squatter registering an honest node's peer id neither blocks the honest registration nor is trusted", async () => {
    const honest = ctx(1);
    const squatter = ctx(2);
    const observer = ctx(3);
    const peerKey = await generateKeyPair('Ed25519');
    const peerId = peerIdFromPrivateKey(peerKey);
    // The squatter front-runs with the honest node's peer id and a copy of its signed binding.
    const copied = await signPeerBinding(peerKey, {
      chainId: honest.chain.id,
      registry: honest.addresses.registry,
      account: honest.account.address,
    });
    await register(squatter, { ...copied, stake: MIN });
    const registration = await ensureRegistered(honest, peerKey, MIN);
    assert.equal(registration.registered, true, 'the honest node registers its own peer id');
    const honestPeer = await registeredPeerOf(observer, honest.account.address);
    assert.ok(honestPeer?.equals(peerId), 'nodes trust the honest binding');
    assert.equal(
      await registeredPeerOf(observer, squatter.account.address),
      null,
      'nor the copied signature',
    );
    // Nor a binding the squatter signed with a key of its own for the honest peer id.
    const forged = await signPeerBinding(await generateKeyPair('Ed25519'), {
      chainId: squatter.chain.id,
      registry: squatter.addresses.registry,
      account: ctx(4).account.address,
    });
    await register(ctx(4), { peerId: copied.peerId, peerSig: forged.peerSig, stake: MIN });
    assert.equal(await registeredPeerOf(observer, ctx(4).account.address), null, 'nor a foreign signature');
  });
});
