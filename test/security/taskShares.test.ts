// Finding 8: ownership units of a task are minted only against reward paid, and minting them costs
// the creator a fee paid to the other share holders.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseEther } from 'viem';
import {
  accessCreditsAbi,
  nodeRegistryAbi,
  sharesAbi,
  taskMarketAbi,
} from '../../generated/contracts/index.ts';
import { DEPLOY_DEFAULTS } from '../../src/chain/deploy.ts';
import {
  account,
  advance,
  balanceOf,
  commitAs,
  createTask,
  id32,
  isolated,
  read,
  registerNode,
  revealAs,
  send,
  startTestChain,
  type TestChain,
  taskParams,
} from '../contracts/harness.ts';

const MIN = parseEther('100');
const A = id32('result A');
const HOLDERS = [1, 2];
const SELF_DEALER = 5;

describe('security: task shares are minted only against value paid', () => {
  let chain: TestChain;
  const shares = <T>(fn: string, args: readonly unknown[] = []) =>
    read<T>(chain, chain.addresses.shares, sharesAbi, fn, args);
  const credits = <T>(fn: string, args: readonly unknown[] = []) =>
    read<T>(chain, chain.addresses.accessCredits, accessCreditsAbi, fn, args);
  /** A task every given node commits and reveals `A` in, finalized. */
  const run = async (creator: number, members: readonly number[], baseReward: bigint) => {
    const params = await taskParams(chain, {
      baseReward,
      bond: 0n,
      stakeSlash: 0n,
      committeeSize: members.length,
      maxParticipants: members.length,
      quorum: 1,
      growthBps: 0,
    });
    const id = await createTask(chain, creator, params);
    for (const i of members) await commitAs(chain, i, id, A);
    for (const i of members) await revealAs(chain, i, id, A);
    await send(chain, creator, chain.addresses.taskMarket, taskMarketAbi, 'finalize', [id]);
    return id;
  };

  before(async () => {
    chain = await startTestChain({ minStake: MIN, taskFeeBps: DEPLOY_DEFAULTS.taskFeeBps });
    for (const i of HOLDERS) await registerNode(chain, i, MIN);
  });
  after(async () => await chain?.stop());

  it('a zero-reward task mints no shares', () =>
    isolated(chain, async () => {
      await run(0, HOLDERS, 0n);
      assert.equal(await shares<bigint>('totalUnits'), 0n);
    }));

  it('a self-dealing creator pays at least the fee on its reward to the other holders for its units', () =>
    isolated(chain, async () => {
      // Honest holders own units first (the fee of the very first task has nobody to go to).
      await run(0, HOLDERS, parseEther('1'));
      const unitsBefore = await shares<bigint>('totalUnits');
      assert.equal(unitsBefore, 2_000_000n);
      for (const i of HOLDERS) {
        await send(chain, i, chain.addresses.registry, nodeRegistryAbi, 'requestUnstake', [MIN]);
      }
      // The self-dealer is now the only active node: it creates a task, is its whole committee and wins.
      await registerNode(chain, SELF_DEALER, MIN);
      const before = await balanceOf(chain, account(SELF_DEALER));
      const reward = parseEther('10');
      const id = await run(SELF_DEALER, [SELF_DEALER], reward);
      await send(chain, SELF_DEALER, chain.addresses.taskMarket, taskMarketAbi, 'claim', [id]);
      const units = await shares<bigint>('unitsOf', [account(SELF_DEALER)]);
      assert.equal(units, 10_000_000n, '1e6 units per token of reward paid');
      const fee = (reward * BigInt(DEPLOY_DEFAULTS.taskFeeBps)) / 10_000n;
      assert.equal(before - (await balanceOf(chain, account(SELF_DEALER))), fee, 'its cost is the fee');
      // The fee is the dividends of this epoch's holders, paid out once the epoch is over.
      const epoch = await credits<bigint>('currentEpoch');
      await advance(chain, Number(DEPLOY_DEFAULTS.epochLength));
      let received = 0n;
      for (const i of HOLDERS) received += await credits<bigint>('dividendsOf', [account(i), epoch]);
      assert.ok(fee - received <= 2n, `the holders received the fee (${received} of ${fee})`);
      assert.equal(await credits<bigint>('dividendsOf', [account(SELF_DEALER), epoch]), 0n);
    }));

  it('the first winning task of a fresh deployment pays its fee to the genesis holder: no unit is ever free', async () => {
    const fresh = await startTestChain({
      minStake: MIN,
      taskFeeBps: DEPLOY_DEFAULTS.taskFeeBps,
      genesisUnits: DEPLOY_DEFAULTS.genesisUnits,
    });
    try {
      const genesisHolder = account(0);
      assert.equal(
        await read<bigint>(fresh, fresh.addresses.shares, sharesAbi, 'unitsOf', [genesisHolder]),
        DEPLOY_DEFAULTS.genesisUnits,
      );
      // The only active node creates a task, is its whole committee and wins it.
      await registerNode(fresh, SELF_DEALER, MIN);
      const before = await balanceOf(fresh, account(SELF_DEALER));
      const reward = parseEther('10');
      const params = await taskParams(fresh, {
        baseReward: reward,
        bond: 0n,
        stakeSlash: 0n,
        committeeSize: 1,
        maxParticipants: 1,
        quorum: 1,
        growthBps: 0,
      });
      const id = await createTask(fresh, SELF_DEALER, params);
      await commitAs(fresh, SELF_DEALER, id, A);
      await revealAs(fresh, SELF_DEALER, id, A);
      await send(fresh, SELF_DEALER, fresh.addresses.taskMarket, taskMarketAbi, 'finalize', [id]);
      await send(fresh, SELF_DEALER, fresh.addresses.taskMarket, taskMarketAbi, 'claim', [id]);
      const fee = (reward * BigInt(DEPLOY_DEFAULTS.taskFeeBps)) / 10_000n;
      assert.equal(
        before - (await balanceOf(fresh, account(SELF_DEALER))),
        fee,
        'the self-dealer paid the fee',
      );
      const epoch = await read<bigint>(
        fresh,
        fresh.addresses.accessCredits,
        accessCreditsAbi,
        'currentEpoch',
      );
      await advance(fresh, Number(DEPLOY_DEFAULTS.epochLength));
      const paid = await read<bigint>(fresh, fresh.addresses.accessCredits, accessCreditsAbi, 'dividendsOf', [
        genesisHolder,
        epoch,
      ]);
      assert.equal(paid, fee, 'the genesis holder received it');
    } finally {
      await fresh.stop();
    }
  });
});
