import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { keccak256, parseEther, toHex } from 'viem';
import { taskMarketAbi } from '../../generated/contracts/index.ts';
import { balanceOf } from './actions/balanceOf.ts';
import { createTask } from './actions/createTask.ts';
import { drawCommittee } from './actions/drawCommittee.ts';
import { transfer } from './actions/transfer.ts';
import { freePort, startAnvil } from './anvil.ts';
import { createConcordClients } from './client.ts';
import { type ConcordContext, createConcordContext } from './context.ts';
import { devAccount } from './devAccounts.ts';
import { type DevChain, startDevChain } from './devChain.ts';
import { mineBlocks, setAutomine } from './devRpc.ts';
import { submitContract, waitForReceipt } from './send.ts';
import { taskKindId } from './taskTypes.ts';
import { type RpcProxy, startRpcProxy } from './testing/rpcProxy.ts';

// One anvil; actors reach it through flaky JSON-RPC proxies (src/chain/testing/rpcProxy.ts).
let dev: DevChain;
const proxies: RpcProxy[] = [];
before(async () => {
  dev = await startDevChain({ actors: 3, registerStake: parseEther('1000') });
});
after(async () => {
  for (const p of proxies) await p.stop();
  await dev?.stop();
});

async function viaProxy(actor: number, failRate: number, seed = 1): Promise<[ConcordContext, RpcProxy]> {
  const proxy = await startRpcProxy({ target: dev.anvil.rpcUrl, failRate, seed });
  proxies.push(proxy);
  const ctx = await createConcordContext({
    rpcUrl: proxy.url,
    privateKey: devAccount(actor).privateKey,
    deployment: dev.deployment,
  });
  return [ctx, proxy];
}

const nonceOf = async (actor: number) =>
  await dev.deployer.publicClient.getTransactionCount({ address: devAccount(actor).address });

test('a send whose eth_sendRawTransaction answer is lost is re-sent as the same transaction and succeeds', async () => {
  const [ctx, proxy] = await viaProxy(1, 0);
  const to = devAccount(8).address;
  const [nonce, balance] = [await nonceOf(1), await balanceOf(dev.deployer, { account: to })];
  proxy.failNext('eth_sendRawTransaction', 'lose-response');
  const receipt = await transfer(ctx, { to, amount: 5n });
  assert.equal(receipt.status, 'success');
  assert.equal(proxy.counts.forwarded.eth_sendRawTransaction, 2, 'the same bytes reached the node twice');
  assert.equal(await nonceOf(1), nonce + 1, 'one transaction, one nonce');
  assert.equal(await balanceOf(dev.deployer, { account: to }), balance + 5n);
});

test('with 20% of requests failing, every send and read succeeds with consecutive nonces', async () => {
  const [ctx, proxy] = await viaProxy(2, 0.2, 3);
  const to = devAccount(9).address;
  const [nonce, balance] = [await nonceOf(2), await balanceOf(dev.deployer, { account: to })];
  for (let i = 0; i < 10; i++) await transfer(ctx, { to, amount: 1n });
  assert.ok(proxy.counts.failed >= 5, `failures injected: ${proxy.counts.failed}`);
  const sendFailures = proxy.counts.failedByMethod.eth_sendRawTransaction ?? 0;
  assert.ok(sendFailures >= 1, 'some eth_sendRawTransaction requests failed too');
  assert.equal(await nonceOf(2), nonce + 10);
  assert.equal(await balanceOf(dev.deployer, { account: to }), balance + 10n);
});

test('a drawCommittee that lost its race inside a block is named TaskCommitteeAlreadyDrawn, and the next one costs no gas', async () => {
  const [a, b, c] = dev.actors as [ConcordContext, ConcordContext, ConcordContext];
  const now = (await dev.deployer.publicClient.getBlock()).timestamp;
  const params = {
    kind: taskKindId('matvec'),
    specDigest: keccak256(toHex('race')),
    baseReward: parseEther('1'),
    bond: 0n,
    stakeSlash: parseEther('1'),
    growthBps: 0,
    maxParticipants: 3,
    quorum: 2,
    committeeSize: 3,
    commitDeadline: now + 600n,
    revealDeadline: now + 1200n,
  };
  const { taskId } = await createTask(dev.deployer, params);
  await mineBlocks(dev.deployer, 1);
  const call = {
    address: dev.deployment.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'drawCommittee',
    args: [taskId],
    gas: 1_000_000n,
  };
  await setAutomine(dev.deployer, false);
  try {
    // Both in the pool before a block: both are mined, the second reverts.
    const hashes = [await submitContract(a, call), await submitContract(b, call)];
    // The pending state already has the draw: a third node's draw fails in simulation, unsent.
    const nonce = await nonceOf(3);
    await assert.rejects(drawCommittee(c, { taskId }), { errorName: 'TaskCommitteeAlreadyDrawn' });
    assert.equal(await nonceOf(3), nonce, 'the losing draw was never sent');
    await mineBlocks(dev.deployer, 1);
    const outcomes = await Promise.allSettled(hashes.map((h, i) => waitForReceipt([a, b][i]!, h, call)));
    assert.equal(outcomes[0]!.status, 'fulfilled');
    assert.equal(outcomes[1]!.status, 'rejected');
    assert.equal((outcomes[1] as PromiseRejectedResult).reason.errorName, 'TaskCommitteeAlreadyDrawn');
  } finally {
    await setAutomine(dev.deployer, true);
  }
});

test('the start-up probe waits for a chain that comes up 3 s late, saying once what it waits for', async () => {
  const port = await freePort();
  const lines: string[] = [];
  const started = Date.now();
  const connecting = createConcordClients({
    rpcUrl: `http://127.0.0.1:${port}`,
    privateKey: devAccount(0).privateKey,
    chainWaitMs: 30_000,
    onChainWait: (line) => lines.push(line),
  });
  await new Promise((r) => setTimeout(r, 3000));
  const anvil = await startAnvil({ port });
  try {
    const clients = await connecting;
    assert.equal(clients.chain.id, 31337);
    assert.ok(Date.now() - started >= 3000);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /waiting up to 30 s for http:\/\/127\.0\.0\.1/);
  } finally {
    await anvil.stop();
  }
});

test('the start-up probe gives up after its bound with ChainConnectionError', async () => {
  const port = await freePort();
  const started = Date.now();
  await assert.rejects(
    createConcordClients({
      rpcUrl: `http://127.0.0.1:${port}`,
      privateKey: devAccount(0).privateKey,
      chainWaitMs: 1500,
    }),
    (err: Error & { hint?: string }) =>
      err.name === 'ChainConnectionError' && /--chain-wait/.test(err.hint ?? ''),
  );
  const waited = Date.now() - started;
  assert.ok(waited >= 700 && waited < 6000, `waited ${waited} ms`);
});
