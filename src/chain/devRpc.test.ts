import assert from 'node:assert/strict';
import { it } from 'node:test';
import { startDevChain } from './devChain.ts';
import { rawTransaction, reorg, setAutomine, setIntervalMining } from './devRpc.ts';

it('a reorg drops a mined transaction, and a second one re-includes its raw bytes', async () => {
  const chain = await startDevChain({ actors: 1 });
  try {
    const pc = chain.deployer.publicClient;
    await setAutomine(chain.deployer, false);
    await setIntervalMining(chain.deployer, 1);
    const hash = await chain.deployer.walletClient.sendTransaction({
      to: chain.deployer.account.address,
      value: 1n,
    });
    const r = await pc.waitForTransactionReceipt({ hash, pollingInterval: 100 });
    const raw = await rawTransaction(chain.deployer, hash);
    const before = await pc.getBlockNumber();
    await reorg(chain.deployer, Number(before - r.blockNumber) + 1, []);
    await assert.rejects(pc.getTransactionReceipt({ hash }));
    await reorg(chain.deployer, 1, [[raw, 0]]);
    const again = await pc.getTransactionReceipt({ hash });
    assert.equal(again.status, 'success');
  } finally {
    await chain.stop();
  }
});
