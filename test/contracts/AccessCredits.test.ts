import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Address, type Hex, hashTypedData, parseEventLogs } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  accessCreditsAbi,
  accessCreditsBytecode,
  sharesAbi,
  sharesBytecode,
} from '../../generated/contracts/index.ts';
import { devAccount } from '../../src/chain/devAccounts.ts';
import {
  account,
  advance,
  approveAll,
  balanceOf,
  deployOwned,
  expectRevert,
  isolated,
  now,
  read,
  send,
  startTestChain,
  type TestChain,
} from './harness.ts';

const EPOCH = 1000n;
const PER_EPOCH = 1_000_000n;
const PRICE = 1000n;
const DELAY = 7200n;
const MINTER = 9;
const QUERIER = 4;
const GATEWAY = 5;

type Voucher = { querier: Address; spender: Address; maxCredits: bigint; nonce: bigint; deadline: bigint };

const voucherTypes = {
  Voucher: [
    { name: 'querier', type: 'address' },
    { name: 'spender', type: 'address' },
    { name: 'maxCredits', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ],
} as const;

describe('AccessCredits', () => {
  let chain: TestChain;
  let credits: Address;
  const call = (from: number, fn: string, args: readonly unknown[] = []) =>
    send(chain, from, credits, accessCreditsAbi, fn, args);
  const view = <T>(fn: string, args: readonly unknown[] = []) =>
    read<T>(chain, credits, accessCreditsAbi, fn, args);
  const mintShares = (to: number, amount: bigint) =>
    send(chain, MINTER, chain.addresses.shares, sharesAbi, 'mint', [account(to), 1n, amount]);
  const domain = (overrides: { chainId?: number; verifyingContract?: Address } = {}) => ({
    name: 'ConcordAccessCredits',
    version: '1',
    chainId: overrides.chainId ?? chain.clients[0]!.chain.id,
    verifyingContract: overrides.verifyingContract ?? credits,
  });
  const sign = (signer: number, voucher: Voucher, d = domain()) =>
    privateKeyToAccount(devAccount(signer).privateKey).signTypedData({
      domain: d,
      types: voucherTypes,
      primaryType: 'Voucher',
      message: voucher,
    });
  const voucher = async (overrides: Partial<Voucher> = {}): Promise<Voucher> => ({
    querier: account(QUERIER),
    spender: account(GATEWAY),
    maxCredits: 500n,
    nonce: 1n,
    deadline: (await now(chain)) + 600n,
    ...overrides,
  });
  /** Gives the querier `amount` bought credits (needs share holders to exist), deposited for the gateway. */
  const buy = async (amount: bigint) => {
    await approveAll(chain, QUERIER, credits);
    await call(QUERIER, 'buyCredits', [amount]);
    await call(QUERIER, 'deposit', [account(GATEWAY), amount]);
  };
  /** The querier's deposit for the gateway. */
  const deposited = async () => {
    const d = await view<{ granted: bigint; bought: bigint }>('depositOf', [
      account(QUERIER),
      account(GATEWAY),
    ]);
    return d.granted + d.bought;
  };

  before(async () => {
    const base = await startTestChain();
    // Instances of our own, owned by account 0, to test the owner-only minter and settler rules.
    const { token } = base.addresses;
    const shares = await deployOwned(base, sharesAbi, sharesBytecode, ['']);
    credits = await deployOwned(base, accessCreditsAbi, accessCreditsBytecode, [
      token,
      shares,
      EPOCH,
      PER_EPOCH,
      PRICE,
      DELAY,
    ]);
    chain = { ...base, addresses: { ...base.addresses, shares, accessCredits: credits } };
    await send(chain, 0, chain.addresses.shares, sharesAbi, 'setMinter', [account(MINTER), true]);
  });
  after(async () => {
    await chain?.stop();
  });

  it('share holders claim credits once per epoch, in proportion to their units at the snapshot block', () =>
    isolated(chain, async () => {
      await mintShares(1, 1n);
      await mintShares(2, 3n);
      assert.deepEqual(await view('epochSnapshotBlock', [0n]), [false, 0n]);
      const receipt = await call(1, 'claimEpochCredits');
      const [event] = parseEventLogs({
        abi: accessCreditsAbi,
        logs: receipt.logs,
        eventName: 'EpochCreditsClaimed',
      });
      assert.deepEqual(event?.args, { account: account(1), epoch: 0n, credits: PER_EPOCH / 4n });
      // The first claim fixed the epoch's snapshot to the block before it.
      assert.deepEqual(await view('epochSnapshotBlock', [0n]), [true, receipt.blockNumber - 1n]);
      await call(2, 'claimEpochCredits');
      assert.equal(await view('creditsOf', [account(1)]), PER_EPOCH / 4n);
      assert.equal(await view('creditsOf', [account(2)]), (PER_EPOCH * 3n) / 4n);
      assert.equal(await view('hasClaimed', [account(1), 0n]), true);
      await expectRevert(call(1, 'claimEpochCredits'), 'CreditsAlreadyClaimed');
      // Units moved after the snapshot do not count until the next epoch: no double claim.
      await send(chain, 2, chain.addresses.shares, sharesAbi, 'safeTransferFrom', [
        account(2),
        account(3),
        1n,
        3n,
        '0x',
      ]);
      await expectRevert(call(3, 'claimEpochCredits'), 'CreditsNoShares');
      await advance(chain, Number(EPOCH));
      assert.equal(await view('currentEpoch'), 1n);
      await call(3, 'claimEpochCredits');
      await call(1, 'claimEpochCredits');
      assert.equal(await view('creditsOf', [account(3)]), (PER_EPOCH * 3n) / 4n);
      assert.equal(await view('creditsOf', [account(1)]), PER_EPOCH / 2n);
    }));

  it('snapshotEpoch fixes the epoch snapshot early, once; units minted later wait for the next epoch', () =>
    isolated(chain, async () => {
      await mintShares(1, 1n);
      const receipt = await call(5, 'snapshotEpoch');
      const [event] = parseEventLogs({
        abi: accessCreditsAbi,
        logs: receipt.logs,
        eventName: 'EpochSnapshotTaken',
      });
      assert.deepEqual(event?.args, { epoch: 0n, snapshotBlock: receipt.blockNumber - 1n });
      await mintShares(2, 1n);
      const again = await call(5, 'snapshotEpoch');
      assert.equal(parseEventLogs({ abi: accessCreditsAbi, logs: again.logs }).length, 0);
      await expectRevert(call(2, 'claimEpochCredits'), 'CreditsNoShares');
      await call(1, 'claimEpochCredits');
      assert.equal(await view('creditsOf', [account(1)]), PER_EPOCH);
    }));

  it('buyCredits charges amount * price: dividends of the epoch, claimed after it by the units at its snapshot', () =>
    isolated(chain, async () => {
      await approveAll(chain, QUERIER, credits);
      await expectRevert(call(QUERIER, 'buyCredits', [10n]), 'CreditsNoHolders');
      await expectRevert(call(QUERIER, 'buyCredits', [0n]), 'CreditsZeroAmount');
      await mintShares(1, 1n);
      await mintShares(2, 3n);
      const before = await balanceOf(chain, account(QUERIER));
      await call(QUERIER, 'buyCredits', [40n]);
      assert.equal(await balanceOf(chain, account(QUERIER)), before - 40n * PRICE);
      assert.equal(await view('creditsOf', [account(QUERIER)]), 40n);
      assert.deepEqual(await view('balanceOf', [account(QUERIER)]), { granted: 0n, bought: 40n });
      assert.equal(await view('dividendsIn', [0n]), 40n * PRICE);
      await expectRevert(call(1, 'claimDividends', [0n]), 'CreditsEpochNotOver');
      await advance(chain, Number(EPOCH));
      const dividends = (i: number) => view<bigint>('dividendsOf', [account(i), 0n]);
      assert.equal(await dividends(1), 10n * PRICE);
      assert.equal(await dividends(2), 30n * PRICE);
      const held = await balanceOf(chain, account(2));
      await call(2, 'claimDividends', [0n]);
      assert.equal(await balanceOf(chain, account(2)), held + 30n * PRICE);
      await expectRevert(call(2, 'claimDividends', [0n]), 'CreditsAlreadyClaimed');
      await expectRevert(call(3, 'claimDividends', [0n]), 'CreditsNoDividends');
      assert.equal(await balanceOf(chain, credits), 10n * PRICE);
    }));

  it('payDividends pays the epoch holders like a purchase; rollDividends rescues an epoch nobody snapshotted', () =>
    isolated(chain, async () => {
      await approveAll(chain, QUERIER, credits);
      await expectRevert(call(QUERIER, 'payDividends', [5n]), 'CreditsNoHolders');
      // The epoch's snapshot is fixed while nobody holds units; units appear after it.
      await call(QUERIER, 'snapshotEpoch');
      await mintShares(1, 1n);
      await mintShares(2, 3n);
      const epoch = await view<bigint>('currentEpoch');
      await call(QUERIER, 'payDividends', [400n]);
      // Nobody held units at this epoch's snapshot, so the payment waits for the next epoch.
      assert.equal(await view('dividendsIn', [epoch]), 0n);
      assert.equal(await view('dividendsIn', [epoch + 1n]), 400n);
      await expectRevert(call(QUERIER, 'rollDividends', [epoch + 1n]), 'CreditsEpochNotOver');
      // Nobody touches the credits during the next epoch: it never gets a snapshot.
      await advance(chain, Number(EPOCH) * 2);
      assert.equal(await view('dividendsOf', [account(2), epoch + 1n]), 0n);
      await expectRevert(call(QUERIER, 'rollDividends', [epoch]), 'CreditsEpochHasSnapshot');
      await call(3, 'rollDividends', [epoch + 1n]);
      const now = epoch + 2n;
      assert.equal(await view('dividendsIn', [now]), 400n);
      await expectRevert(call(3, 'rollDividends', [epoch + 1n]), 'CreditsNoDividends');
      await advance(chain, Number(EPOCH));
      assert.equal(await view('dividendsOf', [account(1), now]), 100n);
      assert.equal(await view('dividendsOf', [account(2), now]), 300n);
    }));

  it('a deposit is locked for its gateway until the withdrawal delay after a request has passed', () =>
    isolated(chain, async () => {
      await mintShares(1, 1n);
      await buy(100n);
      assert.equal(await view('creditsOf', [account(QUERIER)]), 0n);
      assert.equal(await deposited(), 100n);
      await expectRevert(call(QUERIER, 'withdraw', [account(GATEWAY)]), 'CreditsDepositLocked');
      await call(QUERIER, 'requestWithdrawal', [account(GATEWAY)]);
      await advance(chain, Number(DELAY) - 10);
      await expectRevert(call(QUERIER, 'withdraw', [account(GATEWAY)]), 'CreditsDepositLocked');
      // The gateway can still spend it meanwhile.
      const v = await voucher({ deadline: (await now(chain)) + 600n });
      await call(GATEWAY, 'spend', [v, await sign(QUERIER, v), 30n]);
      await advance(chain, 10);
      await call(QUERIER, 'withdraw', [account(GATEWAY)]);
      assert.equal(await deposited(), 0n);
      assert.deepEqual(await view('balanceOf', [account(QUERIER)]), { granted: 0n, bought: 70n });
      await expectRevert(call(QUERIER, 'deposit', [account(GATEWAY), 71n]), 'CreditsInsufficient');
    }));

  it('granted credits are spent first and reported apart from bought ones', () =>
    isolated(chain, async () => {
      await mintShares(QUERIER, 1n);
      await call(QUERIER, 'claimEpochCredits');
      await buy(100n); // deposits 100: all of it granted (PER_EPOCH granted credits held)
      const v = await voucher();
      const receipt = await call(GATEWAY, 'spend', [v, await sign(QUERIER, v), 50n]);
      const [event] = parseEventLogs({
        abi: accessCreditsAbi,
        logs: receipt.logs,
        eventName: 'CreditsSpent',
      });
      assert.equal(event?.args.bought, 0n);
      assert.deepEqual(await view('balanceOf', [account(QUERIER)]), {
        granted: PER_EPOCH - 100n,
        bought: 100n,
      });
    }));

  it('spend debits the querier with its signed voucher, once', () =>
    isolated(chain, async () => {
      await mintShares(1, 1n);
      await buy(1000n);
      const v = await voucher();
      const signature = await sign(QUERIER, v);
      assert.equal(
        await view('hashVoucher', [v]),
        hashTypedData({ domain: domain(), types: voucherTypes, primaryType: 'Voucher', message: v }),
      );
      const receipt = await call(GATEWAY, 'spend', [v, signature, 300n]);
      const [event] = parseEventLogs({
        abi: accessCreditsAbi,
        logs: receipt.logs,
        eventName: 'CreditsSpent',
      });
      assert.deepEqual(event?.args, {
        querier: account(QUERIER),
        spender: account(GATEWAY),
        nonce: 1n,
        amount: 300n,
        bought: 300n,
      });
      assert.equal(await deposited(), 700n);
      assert.equal(await view('isNonceUsed', [account(QUERIER), account(GATEWAY), 1n]), true);
      // Replaying the same voucher fails, even for a smaller amount.
      await expectRevert(call(GATEWAY, 'spend', [v, signature, 1n]), 'CreditsVoucherUsed');
    }));

  it('spend rejects a wrong caller, an expired voucher, too many credits and a short balance', () =>
    isolated(chain, async () => {
      await mintShares(1, 1n);
      await buy(100n);
      const v = await voucher();
      const signature = await sign(QUERIER, v);
      await expectRevert(call(6, 'spend', [v, signature, 1n]), 'CreditsNotSpender');
      await expectRevert(call(GATEWAY, 'spend', [v, signature, 501n]), 'CreditsVoucherExceeded');
      await expectRevert(call(GATEWAY, 'spend', [v, signature, 101n]), 'CreditsInsufficient');
      const expired = await voucher({ nonce: 2n, deadline: (await now(chain)) - 1n });
      await expectRevert(
        call(GATEWAY, 'spend', [expired, await sign(QUERIER, expired), 1n]),
        'CreditsVoucherExpired',
      );
    }));

  it('spend rejects signatures by another key, for another chain or contract, or malformed', () =>
    isolated(chain, async () => {
      await mintShares(1, 1n);
      await buy(100n);
      const v = await voucher();
      const bad: Hex[] = [
        await sign(GATEWAY, v),
        await sign(QUERIER, v, domain({ chainId: 1 })),
        await sign(QUERIER, v, domain({ verifyingContract: chain.addresses.taskMarket })),
        await sign(QUERIER, { ...v, maxCredits: 1n }),
        `0x${'11'.repeat(64)}`,
      ];
      for (const signature of bad)
        await expectRevert(call(GATEWAY, 'spend', [v, signature, 1n]), 'CreditsBadSignature');
      assert.equal(await view('isNonceUsed', [account(QUERIER), account(GATEWAY), 1n]), false);
    }));

  it('an authorized settler may spend vouchers made out to a gateway', () =>
    isolated(chain, async () => {
      await mintShares(1, 1n);
      await buy(100n);
      const v = await voucher();
      const signature = await sign(QUERIER, v);
      await expectRevert(call(6, 'setSettler', [account(6), true]), 'OwnableUnauthorizedAccount');
      await call(0, 'setSettler', [account(6), true]);
      assert.equal(await view('isSettler', [account(6)]), true);
      await call(6, 'spend', [v, signature, 100n]);
      assert.equal(await deposited(), 0n);
    }));

  it('refuses an epoch length, a credit price or a withdrawal delay of zero at deployment', async () => {
    const deploying = (epoch: bigint, delay: bigint, price = PRICE) =>
      chain.clients[0]!.walletClient.deployContract({
        abi: accessCreditsAbi,
        bytecode: accessCreditsBytecode,
        args: [chain.addresses.token, chain.addresses.shares, epoch, PER_EPOCH, price, delay],
      });
    assert.deepEqual(await expectRevert(deploying(0n, 1n), 'CreditsInvalidParams'), ['epochLength is zero']);
    assert.deepEqual(await expectRevert(deploying(1n, 0n), 'CreditsInvalidParams'), [
      'withdrawalDelay is zero',
    ]);
    // Free credits would mint share units for nothing when a session spends them.
    assert.deepEqual(await expectRevert(deploying(1n, 1n, 0n), 'CreditsInvalidParams'), [
      'pricePerCredit is zero',
    ]);
  });

  it('reports its configuration and epochs', async () => {
    const [token, shares, genesis, epochLength, perEpoch, price, delay] =
      await view<readonly [Address, Address, bigint, bigint, bigint, bigint, bigint]>('config');
    assert.equal(delay, DELAY);
    assert.equal(token, chain.addresses.token);
    assert.equal(shares, chain.addresses.shares);
    assert.equal(epochLength, EPOCH);
    assert.equal(perEpoch, PER_EPOCH);
    assert.equal(price, PRICE);
    assert.equal(await view('epochStart', [3n]), genesis + 3n * EPOCH);
  });
});
