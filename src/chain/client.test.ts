import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseEther } from 'viem';
import { nodeRegistryAbi, sharesAbi } from '../../generated/contracts/index.ts';
import { register } from './actions/register.ts';
import { freePort } from './anvil.ts';
import { createConcordClients } from './client.ts';
import { devAccount } from './devAccounts.ts';
import { type DevChain, devPeerId, startDevChain } from './devChain.ts';
import { sendContract } from './send.ts';

let dev: DevChain;
before(async () => {
  dev = await startDevChain({ actors: 1 });
});
after(async () => await dev?.stop());

test('createConcordClients reads the chain id and signs as the key holder', async () => {
  const clients = await createConcordClients({
    rpcUrl: dev.anvil.rpcUrl,
    privateKey: devAccount(2).privateKey,
  });
  assert.equal(clients.chain.id, 31337);
  assert.equal(clients.account.address, devAccount(2).address);
});

test('a malformed private key is InvalidPrivateKeyError', async () => {
  await assert.rejects(
    createConcordClients({ rpcUrl: dev.anvil.rpcUrl, privateKey: '0x1234' }),
    (err: Error) => err.name === 'InvalidPrivateKeyError',
  );
});

test('an endpoint nobody listens on is ChainConnectionError', async () => {
  const port = await freePort();
  await assert.rejects(
    createConcordClients({
      rpcUrl: `http://127.0.0.1:${port}`,
      privateKey: devAccount(0).privateKey,
      chainWaitMs: 0,
    }),
    (err: Error) => err.name === 'ChainConnectionError',
  );
});

test('deployConcord wires TaskMarket as slasher and minter', async () => {
  const { registry, shares, taskMarket } = dev.deployment.addresses;
  const read = dev.deployer.publicClient;
  assert.equal(
    await read.readContract({
      address: registry,
      abi: nodeRegistryAbi,
      functionName: 'isSlasher',
      args: [taskMarket],
    }),
    true,
  );
  assert.equal(
    await read.readContract({
      address: shares,
      abi: sharesAbi,
      functionName: 'isMinter',
      args: [taskMarket],
    }),
    true,
  );
  assert.equal(dev.deployment.chainId, 31337);
  assert.ok(dev.deployment.deployedAt > 0n);
});

test('a revert is ChainRevertError naming the custom error and its arguments', async () => {
  const err = await register(dev.actors[0]!, {
    peerId: devPeerId(1),
    peerSig: '0x01',
    stake: parseEther('1'),
  }).then(
    () => assert.fail('register below minStake succeeded'),
    (e: unknown) => e as { name: string; errorName: string; args: readonly unknown[] },
  );
  assert.equal(err.name, 'ChainRevertError');
  assert.equal(err.errorName, 'NodeBelowMinStake');
  assert.deepEqual(err.args, [parseEther('1'), parseEther('100')]);
});

test('a revert bubbling up from the token decodes with the token error', async () => {
  const poor = await createConcordClients({ rpcUrl: dev.anvil.rpcUrl, privateKey: devAccount(5).privateKey });
  const ctx = { ...poor, addresses: dev.deployment.addresses };
  await assert.rejects(
    register(ctx, { peerId: devPeerId(5), peerSig: '0x01', stake: parseEther('100') }),
    (e: Error) =>
      e.name === 'ChainRevertError' &&
      (e as unknown as { errorName: string }).errorName === 'ERC20InsufficientBalance',
  );
});

test('a mined reverted transaction (explicit gas, no estimate) is replayed to name its error', async () => {
  const actor = dev.actors[0]!;
  await assert.rejects(
    sendContract(actor, {
      address: dev.deployment.addresses.registry,
      abi: nodeRegistryAbi,
      functionName: 'withdraw',
      gas: 200_000n,
    }),
    (e: Error) =>
      e.name === 'ChainRevertError' &&
      (e as unknown as { errorName: string }).errorName === 'NodeNothingToWithdraw',
  );
});
