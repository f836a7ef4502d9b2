import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { activeNodes } from '../chain/actions/activeNodes.ts';
import { type DevChain, startDevChain } from '../chain/devChain.ts';
import { ensureModelMemory } from './ensureModelMemory.ts';
import { ensureRegistered } from './ensureRegistered.ts';

let dev: DevChain;
before(async () => {
  dev = await startDevChain({ actors: 1 });
});
after(async () => await dev?.stop());

it('announces the cap once on a registered node, sends nothing while the chain holds it, and resets it to 0', async () => {
  const ctx = dev.actors[0]!;
  await ensureRegistered(ctx, await generateKeyPair('Ed25519'));
  const capOf = async () =>
    (await activeNodes(ctx)).find((n) => n.account === ctx.account.address)?.modelMemory;
  assert.equal(await capOf(), 0n);
  assert.deepEqual(await ensureModelMemory(ctx, 0n), { changed: false, bytes: 0n });
  assert.deepEqual(await ensureModelMemory(ctx, 512n * 2n ** 20n), {
    changed: true,
    bytes: 512n * 2n ** 20n,
  });
  const block = await ctx.publicClient.getBlockNumber({ cacheTime: 0 });
  assert.deepEqual(await ensureModelMemory(ctx, 512n * 2n ** 20n), {
    changed: false,
    bytes: 512n * 2n ** 20n,
  });
  assert.equal(
    await ctx.publicClient.getBlockNumber({ cacheTime: 0 }),
    block,
    'no transaction when unchanged',
  );
  assert.equal(await capOf(), 512n * 2n ** 20n);
  assert.deepEqual(await ensureModelMemory(ctx, 0n), { changed: true, bytes: 0n });
  assert.equal(await capOf(), 0n);
});
