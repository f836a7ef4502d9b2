// Finding 7: stakeSlash must not be avoidable, by staying silent, by unstaking before settlement,
// or by backing many tasks with the same stake.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseEther } from 'viem';
import { nodeRegistryAbi, taskMarketAbi } from '../../generated/contracts/index.ts';
import {
  account,
  advance,
  balanceOf,
  commitAs,
  createTask,
  expectRevert,
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
const NODES = [1, 2, 3];
const A = id32('result A');
const B = id32('result B');
const DELAY = 3600;

describe('security: stake that weighs in an open task stays slashable', () => {
  let chain: TestChain;
  const market = () => chain.addresses.taskMarket;
  const registry = (from: number, fn: string, args: readonly unknown[] = []) =>
    send(chain, from, chain.addresses.registry, nodeRegistryAbi, fn, args);
  const slashable = (i: number) =>
    read<bigint>(chain, chain.addresses.registry, nodeRegistryAbi, 'slashableOf', [account(i)]);
  const finalize = (id: bigint) => send(chain, 9, market(), taskMarketAbi, 'finalize', [id]);
  /** A 3-member task whose stakeSlash is half the minimum stake. */
  const halfSlashTask = () =>
    taskParams(chain, { baseReward: parseEther('5'), bond: parseEther('1'), stakeSlash: MIN / 2n });

  before(async () => {
    chain = await startTestChain({ minStake: MIN, unstakeDelay: BigInt(DELAY) });
    for (const i of NODES) await registerNode(chain, i, MIN);
  });
  after(async () => await chain?.stop());

  it('a liar who sees the other reveals and stays silent loses its bond and stakeSlash', () =>
    isolated(chain, async () => {
      const params = await halfSlashTask();
      const id = await createTask(chain, 0, params);
      const [liar, ...honest] = NODES as [number, number, number];
      await commitAs(chain, liar, id, B);
      for (const i of honest) await commitAs(chain, i, id, A);
      for (const i of honest) await revealAs(chain, i, id, A);
      // The liar sees it would be outvoted and does not reveal.
      await advance(chain, 200);
      await finalize(id);
      const p = await read<{ slashed: bigint; payout: bigint }>(
        chain,
        market(),
        taskMarketAbi,
        'participantState',
        [id, account(liar)],
      );
      assert.equal(p.slashed, params.stakeSlash, 'silence costs the stake slash, as a losing reveal does');
      assert.equal(p.payout, 0n, 'and the bond');
      assert.equal(await slashable(liar), MIN - params.stakeSlash);
    }));

  it('a member cannot withdraw stake locked by a task before it settles', () =>
    isolated(chain, async () => {
      const params = await halfSlashTask();
      const id = await createTask(chain, 0, params);
      for (const i of NODES) await commitAs(chain, i, id, i === 1 ? B : A);
      // Node 1 committed a wrong result; it unstakes everything and waits out the delay.
      await registry(1, 'requestUnstake', [MIN]);
      await advance(chain, DELAY + 1);
      const before = await balanceOf(chain, account(1));
      await registry(1, 'withdraw');
      assert.equal(await balanceOf(chain, account(1)), before + MIN - params.stakeSlash);
      assert.equal(await slashable(1), params.stakeSlash, 'the locked part stays in the registry');
      await expectRevert(registry(1, 'withdraw'), 'NodeNothingToWithdraw');
      // The task settles after its deadlines (node 1 never revealed): the locked stake is slashed.
      await finalize(id);
      assert.equal(await slashable(1), 0n);
      assert.equal(
        await read<bigint>(chain, chain.addresses.registry, nodeRegistryAbi, 'lockedOf', [account(1)]),
        0n,
      );
    }));

  it('one stake cannot back more concurrent commits than stake / stakeSlash', () =>
    isolated(chain, async () => {
      const params = await halfSlashTask();
      const ids = [];
      for (let k = 0; k < 3; k++) ids.push(await createTask(chain, 0, params));
      await commitAs(chain, 1, ids[0]!, A);
      await commitAs(chain, 1, ids[1]!, A);
      const args = await expectRevert(commitAs(chain, 1, ids[2]!, A), 'NodeStakeLocked');
      assert.deepEqual(args, [account(1), params.stakeSlash, 0n]);
      // Settling one task releases its lock; the stake can back the third.
      for (const i of [2, 3]) await commitAs(chain, i, ids[0]!, A);
      for (const i of NODES) await revealAs(chain, i, ids[0]!, A);
      await finalize(ids[0]!);
      await commitAs(chain, 1, ids[2]!, A);
    }));
});
