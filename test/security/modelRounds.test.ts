// Finding 4 and the poolWinners bound of finding 9: a model's training rounds belong to its owner.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeAbiParameters, type Hex, keccak256, parseEther } from 'viem';
import { modelRegistryAbi, taskMarketAbi } from '../../generated/contracts/index.ts';
import { poolId } from '../../src/chain/poolId.ts';
import {
  account,
  approveAll,
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
  type TaskParams,
  type TestChain,
  taskParams,
} from '../contracts/harness.ts';

const MIN = parseEther('100');
const NODES = [1, 2, 3];
const OWNER = 0;
const OUTSIDER = 5;
const AGGREGATE = id32('aggregate');

describe('security: only a model owner shapes its rounds', () => {
  let chain: TestChain;
  const ROUND = poolId(account(OWNER), 'model 1 / round 1');
  const models = (from: number, fn: string, args: readonly unknown[]) =>
    send(chain, from, chain.addresses.modelRegistry, modelRegistryAbi, fn, args);
  const market = (from: number, fn: string, args: readonly unknown[]) =>
    send(chain, from, chain.addresses.taskMarket, taskMarketAbi, fn, args);
  const rootOf = (winners: readonly Hex[]) =>
    keccak256(encodeAbiParameters([{ type: 'bytes32[]' }], [winners]));
  /** Creates a task from `from`, has every node commit and reveal `digest`, and finalizes it. */
  const runTask = async (from: number, params: TaskParams, digest: Hex): Promise<bigint> => {
    const id = await createTask(chain, from, params);
    for (const i of NODES) await commitAs(chain, i, id, digest);
    for (const i of NODES) await revealAs(chain, i, id, digest);
    await market(9, 'finalize', [id]);
    return id;
  };

  before(async () => {
    chain = await startTestChain({ minStake: MIN });
    for (const i of NODES) await registerNode(chain, i, MIN);
    for (const i of [OWNER, OUTSIDER]) await approveAll(chain, i, chain.addresses.taskMarket);
  });
  after(async () => await chain?.stop());

  it('an outsider cannot add a task to the owner pool, so it can neither block nor poison the round', () =>
    isolated(chain, async () => {
      // A 0-escrow task with the farthest deadline would keep the round open; a settled one would
      // put the outsider's winner among the aggregation inputs.
      const squat = await taskParams(chain, {
        kind: id32('train'),
        pool: ROUND,
        baseReward: 0n,
        bond: 0n,
        stakeSlash: 0n,
      });
      const args = await expectRevert(market(OUTSIDER, 'createTask', [squat]), 'TaskPoolNotAllowed');
      assert.deepEqual(args, [ROUND, account(OUTSIDER)]);
      const aggregate = await taskParams(chain, { kind: AGGREGATE, pool: ROUND, inputsRoot: rootOf([]) });
      await expectRevert(market(OUTSIDER, 'createTask', [aggregate]), 'TaskPoolNotAllowed');
      // An account the owner allows may add tasks; allowing is per owner.
      await market(OWNER, 'setPoolCreator', [account(OUTSIDER), true]);
      await createTask(chain, OUTSIDER, squat);
    }));

  it('an outsider cannot publish the owner finished aggregate into its own model first', () =>
    isolated(chain, async () => {
      await models(OWNER, 'createModel', ['owned', id32('genesis')]);
      await models(OUTSIDER, 'createModel', ['copycat', id32('genesis')]);
      const winner = id32('update 1');
      await runTask(OWNER, await taskParams(chain, { kind: id32('train'), pool: ROUND }), winner);
      const agg = await runTask(
        OWNER,
        await taskParams(chain, { kind: AGGREGATE, pool: ROUND, inputsRoot: rootOf([winner]) }),
        id32('merged'),
      );
      const args = await expectRevert(models(OUTSIDER, 'publishVersion', [2n, agg]), 'ModelPoolNotOwned');
      assert.deepEqual(args, [ROUND, account(OWNER)]);
      await models(OWNER, 'publishVersion', [1n, agg]);
      assert.equal(
        await read(chain, chain.addresses.modelRegistry, modelRegistryAbi, 'isPublished', [1n, agg]),
        true,
      );
    }));

  it('a pool holds at most MAX_POOL_TASKS tasks, so poolWinners and publishVersion stay bounded', () =>
    isolated(chain, async () => {
      const params = await taskParams(chain, {
        kind: id32('train'),
        pool: ROUND,
        baseReward: 0n,
        bond: 0n,
        stakeSlash: 0n,
      });
      for (let k = 0; k < 256; k += 64) await market(OWNER, 'createTasks', [Array(64).fill(params)]);
      await expectRevert(market(OWNER, 'createTask', [params]), 'TaskPoolFull');
      assert.equal(
        await read<bigint>(chain, chain.addresses.taskMarket, taskMarketAbi, 'MAX_POOL_TASKS'),
        256n,
      );
    }));
});
