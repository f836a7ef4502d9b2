import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { type DevChain, startDevChain } from './devChain.ts';
import { setAutomine } from './devRpc.ts';
import { waitForReceipt } from './send.ts';

let chain: DevChain;
before(async () => {
  chain = await startDevChain({ actors: 1 });
});
after(async () => {
  await chain?.stop();
});

describe('waitForReceipt behind a nonce gap', () => {
  it('gives up with TransactionDroppedError when a transaction waits behind a nonce the chain does not have', async () => {
    const { publicClient, walletClient, account } = chain.deployer;
    await setAutomine(chain.deployer, false);
    try {
      const mined = await publicClient.getTransactionCount({ address: account.address, blockTag: 'latest' });
      // Nonce `mined` is missing (as after a reorg that dropped it): this one can never be mined.
      const hash = await walletClient.sendTransaction({
        account,
        chain: walletClient.chain,
        to: privateKeyToAccount(generatePrivateKey()).address,
        value: 1n,
        nonce: mined + 1,
      });
      // The named reason shows it gave up behind the gap, not at the 120 s receipt timeout.
      await assert.rejects(waitForReceipt(chain.deployer, hash, undefined, { gappedAfterMs: 1_000 }), {
        name: 'TransactionDroppedError',
        message: /waits behind a nonce/,
      });
    } finally {
      await setAutomine(chain.deployer, true);
    }
  });
});
