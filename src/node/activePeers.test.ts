import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { type DevChain, startDevChain } from '../chain/devChain.ts';
import { activeNodePeers } from './activePeers.ts';
import { ensureRegistered } from './ensureRegistered.ts';

let dev: DevChain;
before(async () => {
  dev = await startDevChain({ actors: 2 });
});
after(async () => await dev?.stop());

it('wants the peers of active registered nodes only, and reads the active set again after its ttl', async () => {
  const [one, two] = dev.actors;
  const keyOne = await generateKeyPair('Ed25519');
  const keyTwo = await generateKeyPair('Ed25519');
  await ensureRegistered(one!, keyOne);
  let t = 0;
  const wanted = activeNodePeers(one!, { ttlMs: 1_000, now: () => t });
  const idOne = peerIdFromPrivateKey(keyOne).toString();
  const idTwo = peerIdFromPrivateKey(keyTwo).toString();
  assert.equal(await wanted(idOne), true);
  assert.equal(await wanted(idTwo), false, 'not registered');
  assert.equal(await wanted(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()), false);
  await ensureRegistered(two!, keyTwo);
  assert.equal(await wanted(idTwo), false, 'the set read less than a ttl ago answers');
  t += 1_000;
  assert.equal(await wanted(idTwo), true);
});
