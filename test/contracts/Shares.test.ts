import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type Address, parseEventLogs } from 'viem';
import { sharesAbi, sharesBytecode } from '../../generated/contracts/index.ts';
import {
  account,
  approveAll,
  balanceOf,
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
  const distribute = (from: number, amount: bigint) => call(from, 'distributeDividends', [amount]);
  const blockNumber = () => chain.clients[0]!.publicClient.getBlockNumber({ cacheTime: 0 });

  before(async () => {
    const base = await startTestChain();
    // An instance of our own, owned by account 0, to test the owner-only minter rule.
    shares = await deployOwned(base, sharesAbi, sharesBytecode, [
      base.addresses.token,
      'concord://artifact/{id}',
    ]);
    chain = { ...base, addresses: { ...base.addresses, shares } };
    await call(0, 'setMinter', [account(MINTER), true]);
    for (const i of [0, 1, 2, 3]) await approveAll(chain, i, shares);
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

  it('pays dividends pro rata to units, and transfers do not move dividends already earned', () =>
    isolated(chain, async () => {
      await expectRevert(distribute(0, 100n), 'SharesNoHolders');
      await mint(1, 1n);
      await mint(2, 3n);
      await expectRevert(distribute(0, 0n), 'SharesZeroAmount');
      await distribute(0, 1000n);
      assert.equal(await view('dividendsOf', [account(1)]), 250n);
      assert.equal(await view('dividendsOf', [account(2)]), 750n);
      await transfer(2, 1, 3n);
      assert.equal(await view('dividendsOf', [account(1)]), 250n);
      assert.equal(await view('dividendsOf', [account(2)]), 750n);
      await distribute(0, 400n);
      assert.equal(await view('dividendsOf', [account(1)]), 650n);
      assert.equal(await view('dividendsOf', [account(2)]), 750n);
      const before = await balanceOf(chain, account(2));
      await call(2, 'withdrawDividends');
      assert.equal(await balanceOf(chain, account(2)), before + 750n);
      assert.equal(await view('withdrawnDividendsOf', [account(2)]), 750n);
      assert.equal(await view('dividendsOf', [account(2)]), 0n);
      await expectRevert(call(2, 'withdrawDividends'), 'SharesNothingToWithdraw');
      await expectRevert(call(3, 'withdrawDividends'), 'SharesNothingToWithdraw');
    }));

  it('carries rounding remainders into later distributions', () =>
    isolated(chain, async () => {
      for (const i of [1, 2, 3]) await mint(i, 1n);
      await distribute(0, 10n);
      for (const i of [1, 2, 3]) assert.equal(await view('dividendsOf', [account(i)]), 3n);
      await distribute(0, 2n);
      for (const i of [1, 2, 3]) assert.equal(await view('dividendsOf', [account(i)]), 4n);
      assert.equal(await balanceOf(chain, shares), 12n);
    }));

  it('property: dividends stay within one token unit of the exact pro-rata share, and never exceed the pool', async () => {
    const holders = [1, 2, 3] as const;
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('mint' as const),
        to: fc.constantFrom(...holders),
        amount: fc.bigInt(1n, 1000n),
      }),
      fc.record({
        kind: fc.constant('transfer' as const),
        from: fc.constantFrom(...holders),
        to: fc.constantFrom(...holders),
        amount: fc.bigInt(1n, 1000n),
      }),
      fc.record({ kind: fc.constant('distribute' as const), amount: fc.bigInt(1n, 10n ** 18n) }),
      fc.record({ kind: fc.constant('withdraw' as const), who: fc.constantFrom(...holders) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 2, maxLength: 10 }), fc.bigInt(1n, 1000n), (rest, first) =>
        isolated(chain, async () => {
          // Exact model: earned[i] as a rational number with denominator `den`.
          const units = new Map<number, bigint>(holders.map((h) => [h, 0n]));
          const earned = new Map<number, { num: bigint; den: bigint }>(
            holders.map((h) => [h, { num: 0n, den: 1n }]),
          );
          const withdrawn = new Map<number, bigint>(holders.map((h) => [h, 0n]));
          let distributed = 0n;
          // Start with a holder so distributions have someone to pay.
          const ops = [{ kind: 'mint' as const, to: 1 as const, amount: first }, ...rest];
          for (const o of ops) {
            if (o.kind === 'mint') {
              await mint(o.to, o.amount);
              units.set(o.to, units.get(o.to)! + o.amount);
            } else if (o.kind === 'transfer') {
              const held = units.get(o.from)!;
              if (held === 0n) continue;
              const amount = (o.amount % held) + 1n;
              await transfer(o.from, o.to, amount);
              units.set(o.from, units.get(o.from)! - amount);
              units.set(o.to, units.get(o.to)! + amount);
            } else if (o.kind === 'distribute') {
              const total = [...units.values()].reduce((a, b) => a + b, 0n);
              if (total === 0n) continue;
              await distribute(0, o.amount);
              distributed += o.amount;
              for (const h of holders) {
                const e = earned.get(h)!;
                earned.set(h, { num: e.num * total + o.amount * units.get(h)! * e.den, den: e.den * total });
              }
            } else {
              const owed = await view<bigint>('dividendsOf', [account(o.who)]);
              if (owed === 0n) continue;
              await call(o.who, 'withdrawDividends');
              withdrawn.set(o.who, withdrawn.get(o.who)! + owed);
            }
          }
          let paid = 0n;
          for (const h of holders) {
            const claimable = await view<bigint>('dividendsOf', [account(h)]);
            const total = claimable + withdrawn.get(h)!;
            const exact = earned.get(h)!;
            const floor = exact.num / exact.den;
            assert.ok(total <= floor && total + 1n >= floor, `holder ${h}: ${total} vs exact ${floor}`);
            paid += total;
          }
          assert.ok(paid <= distributed);
          assert.equal(
            await balanceOf(chain, shares),
            distributed - [...withdrawn.values()].reduce((a, b) => a + b, 0n),
          );
        }),
      ),
      { numRuns: 15 },
    );
  });
});
