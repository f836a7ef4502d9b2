import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sharesAbi } from '../../../generated/contracts/index.ts';
import { creditsOf } from '../../chain/actions/creditsOf.ts';
import { writeDeployment } from '../../chain/deployment.ts';
import { devAccount } from '../../chain/devAccounts.ts';
import { type DevChain, startDevChain } from '../../chain/devChain.ts';
import { sendAs } from '../../chain/devRpc.ts';
import { chainCli } from '../testing/chainCli.ts';

const dir = mkdtempSync(join(tmpdir(), 'concord-credits-cli-'));
const keyFile = join(dir, 'buyer.key');
const contracts = join(dir, 'deployment.json');
let chain: DevChain;

before(async () => {
  // No genesis units: a network without share holders, where buying has nobody to pay yet.
  chain = await startDevChain({ actors: 1, deploy: { pricePerCredit: 1000n, genesisUnits: 0n } });
  writeDeployment(contracts, chain.deployment);
  writeFileSync(keyFile, `${devAccount(0).privateKey}\n`, { mode: 0o600 });
});
after(async () => {
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const { concord, failure } = chainCli(() => ({ rpcUrl: chain.anvil.rpcUrl, contracts }));

test('credits buy needs share holders, then buys; show and claim report the account', async () => {
  const buyer = devAccount(0).address;
  const noHolders = await failure('credits', 'buy', '5', '--key', keyFile);
  assert.equal(noHolders.code, 1);
  assert.match(noHolders.stderr, /NoShareHoldersError: No one holds shares yet/);
  // Give the buyer units (minted as TaskMarket would), so payments have a recipient.
  const { deployer, actors } = chain;
  await sendAs(deployer, deployer.addresses.taskMarket, {
    address: deployer.addresses.shares,
    abi: sharesAbi,
    functionName: 'mint',
    args: [buyer, 1n, 3n],
  });

  const bought = JSON.parse(await concord('credits', 'buy', '5', '--key', keyFile, '--json'));
  assert.equal(bought.account, buyer);
  assert.equal(bought.cost, '5000');
  assert.equal(bought.credits, '5');
  assert.equal(await creditsOf(deployer), 5n);

  const claimed = JSON.parse(await concord('credits', 'claim', '--key', keyFile, '--json'));
  assert.equal(claimed.epoch, '0');
  assert.equal(claimed.credits, '1000000'); // the only holder gets the whole epoch's credits
  const again = await failure('credits', 'claim', '--key', keyFile);
  assert.match(again.stderr, /CreditsAlreadyClaimed/);

  const shown = JSON.parse(await concord('credits', 'show', buyer, '--json'));
  assert.deepEqual(shown, {
    epoch: '0',
    accounts: [{ address: buyer, credits: '1000005', units: '3', claimedThisEpoch: true }],
  });
  const table = await concord('credits', 'show', actors[0]!.account.address);
  assert.match(table, /epoch 0/);
  assert.match(table, new RegExp(`${actors[0]!.account.address}\\s+0\\s+0\\s+no`));
});

test('credits buy rejects a missing or non-positive AMOUNT with exit code 2', async () => {
  for (const args of [[], ['1.5']]) {
    const err = await failure('credits', 'buy', ...args, '--key', keyFile);
    assert.equal(err.code, 2, args.join(' '));
    assert.match(err.stderr, /UsageError/);
  }
});
