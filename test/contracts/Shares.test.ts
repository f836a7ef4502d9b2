import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Address, parseEventLogs } from 'viem';
import { sharesAbi, sharesBytecode } from '../../generated/contracts/index.ts';
import {
  account,
  deployOwned,
  expectRevert,
  isolated,
  read,
  send,
  startTestChain,
  type TestChain,
} from './harness.ts';

const MINTER = 9;
const ID = 77n;
const OTHER_ID = 78n;

describe('Shares', () => {
  let chain: TestChain;
  let shares: Address;
  const call = (from: number, fn: string, args: readonly unknown[] = []) =>
    send(chain, from, shares, sharesAbi, fn, args);
  const view = <T>(fn: string, args: readonly unknown[] = []) => read<T>(chain, shares, sharesAbi, fn, args);
  const mint = (to: number, amount: bigint, id = ID) => call(MINTER, 'mint', [account(to), id, amount]);
  const transfer = (from: number, to: number, amount: bigint, id = ID) =>
    call(from, 'safeTransferFrom', [account(from), account(to), id, amount, '0x']);
  const blockNumber = () => chain.clients[0]!.publicClient.getBlockNumber({ cacheTime: 0 });

  before(async () => {
    const base = await startTestChain();
    // An instance of our own, owned by account 0, to test the owner-only minter rule.
    shares = await deployOwned(base, sharesAbi, sharesBytecode, ['concord://artifact/{id}']);
    chain = { ...base, addresses: { ...base.addresses, shares } };
    await call(0, 'setMinter', [account(MINTER), true]);
  });
  after(async () => {
    await chain?.stop();
  });

  it('mint is for minters only, counts units across ids, and emits TransferSingle', () =>
    isolated(chain, async () => {
      const receipt = await mint(1, 10n);
      await mint(1, 5n, OTHER_ID);
      await mint(2, 1n);
      const [event] = parseEventLogs({ abi: sharesAbi, logs: receipt.logs, eventName: 'TransferSingle' });
      assert.equal(event?.args.to, account(1));
      assert.equal(event?.args.value, 10n);
      assert.equal(await view('balanceOf', [account(1), ID]), 10n);
      assert.equal(await view('unitsOf', [account(1)]), 15n);
      assert.equal(await view('totalUnits'), 16n);
      await expectRevert(call(1, 'mint', [account(1), ID, 1n]), 'SharesNotMinter');
      await expectRevert(mint(1, 0n), 'SharesZeroAmount');
      await expectRevert(call(1, 'setMinter', [account(1), true]), 'OwnableUnauthorizedAccount');
      assert.equal(await view('isMinter', [account(MINTER)]), true);
      await call(0, 'setMinter', [account(MINTER), false]);
      await expectRevert(mint(1, 1n), 'SharesNotMinter');
    }));

  it('keeps block-number checkpoints of units per account and in total', () =>
    isolated(chain, async () => {
      await mint(1, 10n);
      const b1 = await blockNumber();
      await transfer(1, 2, 4n);
      const b2 = await blockNumber();
      // Views run in the latest block; mine one more so b2 lies in the past.
      await chain.test.mine({ blocks: 1 });
      assert.equal(await view('unitsAt', [account(1), b1 - 1n]), 0n);
      assert.equal(await view('unitsAt', [account(1), b1]), 10n);
      assert.equal(await view('unitsAt', [account(1), b2]), 6n);
      assert.equal(await view('unitsAt', [account(2), b2 - 1n]), 0n);
      assert.equal(await view('unitsAt', [account(2), b2]), 4n);
      assert.equal(await view('totalUnitsAt', [b1 - 1n]), 0n);
      assert.equal(await view('totalUnitsAt', [b2]), 10n);
      const latest = await blockNumber();
      await expectRevert(view('unitsAt', [account(1), latest]), 'SharesFutureLookup');
      await expectRevert(view('totalUnitsAt', [latest + 1000n]), 'SharesFutureLookup');
    }));
});
