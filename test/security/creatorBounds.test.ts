// Finding 3: a task creator chooses the windows, bond and stake slash. The attacks below try to
// make honest committers lose their bonds to the creator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseEther } from 'viem';
import { taskMarketAbi } from '../../generated/contracts/index.ts';
import { DEPLOY_DEFAULTS } from '../../src/chain/deploy.ts';
import {
  account,
  advance,
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

describe('security: a task creator cannot take committers bonds', () => {
  let chain: TestChain;
  const market = () => chain.addresses.taskMarket;
  const call = (from: number, fn: string, args: readonly unknown[]) =>
    send(chain, from, market(), taskMarketAbi, fn, args);
  const view = <T>(fn: string, args: readonly unknown[]) => read<T>(chain, market(), taskMarketAbi, fn, args);

  before(async () => {
    // The production bounds: 60-s windows, 30 days, bond and stakeSlash up to 10x the base reward.
    chain = await startTestChain({
      minStake: MIN,
      minCommitWindow: DEPLOY_DEFAULTS.minCommitWindow,
      minRevealWindow: DEPLOY_DEFAULTS.minRevealWindow,
    });
    for (const i of [0, ...NODES]) await registerNode(chain, i, MIN);
  });
  after(async () => await chain?.stop());

  it('a creator cannot set a reveal window no block falls into', () =>
    isolated(chain, async () => {
      const params = await taskParams(chain, { committeeSize: 4, maxParticipants: 4 });
      const oneSecond = { ...params, revealDeadline: params.commitDeadline + 1n };
      const [reason] = await expectRevert(call(0, 'createTask', [oneSecond]), 'TaskInvalidParams');
      assert.equal(reason, 'reveal window too short');
      const rushed = { ...params, commitDeadline: params.commitDeadline - 90n };
      assert.equal(
        (await expectRevert(call(0, 'createTask', [rushed]), 'TaskInvalidParams'))[0],
        'commit window too short',
      );
      const endless = { ...params, revealDeadline: params.commitDeadline + 31n * 86_400n };
      assert.equal(
        (await expectRevert(call(0, 'createTask', [endless]), 'TaskInvalidParams'))[0],
        'task lasts too long',
      );
    }));

  it('a creator cannot ask for a bond or stake slash above 10x the base reward', () =>
    isolated(chain, async () => {
      const params = await taskParams(chain);
      const bond = { ...params, bond: params.baseReward * 10n + 1n };
      assert.equal(
        (await expectRevert(call(0, 'createTask', [bond]), 'TaskInvalidParams'))[0],
        'bond above limit',
      );
      const slash = { ...params, stakeSlash: params.baseReward * 10n + 1n };
      assert.equal(
        (await expectRevert(call(0, 'createTask', [slash]), 'TaskInvalidParams'))[0],
        'stakeSlash above limit',
      );
    }));

  it('a failed task pays the forfeits of silent committers to the revealers, not to the creator', () =>
    isolated(chain, async () => {
      // Every registered node is drawn; the creator's own node (0) commits and stays silent, and the
      // quorum of 4 cannot be met, so the task fails.
      const params = await taskParams(chain, { committeeSize: 4, maxParticipants: 4, quorum: 4 });
      const id = await createTask(chain, 0, params);
      for (const i of [0, ...NODES]) await commitAs(chain, i, id, A);
      for (const i of NODES) await revealAs(chain, i, id, A);
      await advance(chain, 200);
      await call(9, 'finalize', [id]);
      const task = await view<{ status: number; escrow: bigint; creatorRefund: bigint }>('getTask', [id]);
      assert.equal(task.status, 3, 'failed');
      const forfeits = params.bond + params.stakeSlash;
      assert.equal(
        task.creatorRefund,
        task.escrow + (forfeits % 3n),
        'the creator gets its escrow back, no bond',
      );
      for (const i of NODES) {
        const owed = await view<bigint>('payoutOf', [id, account(i)]);
        assert.equal(
          owed,
          params.bond + forfeits / 3n,
          `revealer ${i} gets its bond and a share of the forfeits`,
        );
      }
    }));
});
