import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Address, encodeAbiParameters, type Hex, keccak256, parseEther, parseEventLogs } from 'viem';
import { modelRegistryAbi, taskMarketAbi } from '../../generated/contracts/index.ts';
import {
  account,
  advance,
  approveAll,
  commitAs,
  createTask,
  expectRevert,
  id32,
  isolated,
  poolOf,
  read,
  registerNode,
  revealAs,
  send,
  startTestChain,
  type TaskParams,
  type TestChain,
  taskParams,
  ZERO32,
} from './harness.ts';

const MIN = parseEther('100');
const NODES = [1, 2, 3];
const GENESIS = id32('genesis weights');
const ROUND = poolOf(0, 'model 1 / round 1');
const AGGREGATE = id32('aggregate');

type Version = { digest: Hex; taskId: bigint };

describe('ModelRegistry', () => {
  let chain: TestChain;
  let models: Address;
  const call = (from: number, fn: string, args: readonly unknown[] = []) =>
    send(chain, from, models, modelRegistryAbi, fn, args);
  const view = <T>(fn: string, args: readonly unknown[] = []) =>
    read<T>(chain, models, modelRegistryAbi, fn, args);
  const market = (fn: string, args: readonly unknown[] = []) =>
    read<unknown>(chain, chain.addresses.taskMarket, taskMarketAbi, fn, args);

  /** Creates a task, has every node commit and reveal `digest`, and finalizes it. */
  const runTask = async (params: TaskParams, digest: Hex): Promise<bigint> => {
    const id = await createTask(chain, 0, params);
    for (const i of NODES) await commitAs(chain, i, id, digest);
    for (const i of NODES) await revealAs(chain, i, id, digest);
    await send(chain, 0, chain.addresses.taskMarket, taskMarketAbi, 'finalize', [id]);
    return id;
  };
  const rootOf = (winners: readonly Hex[]) =>
    keccak256(encodeAbiParameters([{ type: 'bytes32[]' }], [winners]));
  const trainParams = () => taskParams(chain, { kind: id32('train'), pool: ROUND });
  const aggregateParams = (inputsRoot: Hex, pool = ROUND) =>
    taskParams(chain, { kind: AGGREGATE, pool, inputsRoot });

  /** A finished round of two successful train tasks and one failed one; returns the winners. */
  const finishedRound = async () => {
    const w1 = id32('update 1');
    const w2 = id32('update 2');
    await runTask(await trainParams(), w1);
    const failed = await createTask(chain, 0, await trainParams());
    await runTask(await trainParams(), w2);
    await advance(chain, 200);
    await send(chain, 0, chain.addresses.taskMarket, taskMarketAbi, 'finalize', [failed]);
    return [w1, w2] as const;
  };

  before(async () => {
    chain = await startTestChain({ minStake: MIN });
    models = chain.addresses.modelRegistry;
    for (const i of NODES) await registerNode(chain, i, MIN);
    await approveAll(chain, 0, chain.addresses.taskMarket);
  });
  after(async () => {
    await chain?.stop();
  });

  it('createModel starts with the genesis digest as version 0', () =>
    isolated(chain, async () => {
      const receipt = await call(0, 'createModel', ['tiny-gpt', GENESIS]);
      const [event] = parseEventLogs({
        abi: modelRegistryAbi,
        logs: receipt.logs,
        eventName: 'ModelCreated',
      });
      assert.equal(event?.args.modelId, 1n);
      assert.deepEqual(await view('getModel', [1n]), ['tiny-gpt', account(0)]);
      assert.equal(await view('modelCount'), 1n);
      assert.equal(await view('versionCount', [1n]), 1n);
      assert.deepEqual(await view('latestVersion', [1n]), [0n, { digest: GENESIS, taskId: 0n }]);
      assert.deepEqual(await view('versionAt', [1n, 0n]), { digest: GENESIS, taskId: 0n });
      assert.equal(await view('market'), chain.addresses.taskMarket);
      await expectRevert(call(0, 'createModel', ['', GENESIS]), 'ModelEmptyName');
      await expectRevert(call(0, 'createModel', ['x', ZERO32]), 'ModelZeroGenesis');
      await expectRevert(call(0, 'publishVersion', [9n, 1n]), 'ModelNotFound');
    }));

  it('publishVersion records the aggregate of exactly the round winners as the next version', () =>
    isolated(chain, async () => {
      await call(0, 'createModel', ['tiny-gpt', GENESIS]);
      const winners = await finishedRound();
      assert.deepEqual(await market('poolWinners', [ROUND]), winners);
      assert.equal(await market('poolInputsRoot', [ROUND]), rootOf(winners));
      assert.equal(await market('poolOpenCount', [ROUND]), 0n);
      const merged = id32('merged weights v1');
      const agg = await runTask(await aggregateParams(rootOf(winners)), merged);
      assert.deepEqual(await market('poolTasks', [ROUND]), [1n, 2n, 3n]);
      const receipt = await call(0, 'publishVersion', [1n, agg]);
      const [event] = parseEventLogs({
        abi: modelRegistryAbi,
        logs: receipt.logs,
        eventName: 'VersionPublished',
      });
      assert.deepEqual(event?.args, { modelId: 1n, index: 1n, digest: merged, taskId: agg });
      assert.deepEqual(await view('latestVersion', [1n]), [1n, { digest: merged, taskId: agg }]);
      assert.deepEqual(await view<Version>('versionAt', [1n, 1n]), { digest: merged, taskId: agg });
      assert.equal(await view('isPublished', [1n, agg]), true);
      await expectRevert(call(0, 'publishVersion', [1n, agg]), 'ModelTaskAlreadyPublished');
      await expectRevert(view('versionAt', [1n, 2n]), 'ModelVersionNotFound');
    }));

  it('only the model owner publishes', () =>
    isolated(chain, async () => {
      await call(0, 'createModel', ['tiny-gpt', GENESIS]);
      const winners = await finishedRound();
      const agg = await runTask(await aggregateParams(rootOf(winners)), id32('merged'));
      await expectRevert(call(1, 'publishVersion', [1n, agg]), 'ModelNotOwner');
    }));

  it('rejects a task that is not an aggregate, not settled with a winner, or unknown', () =>
    isolated(chain, async () => {
      await call(0, 'createModel', ['tiny-gpt', GENESIS]);
      const winners = await finishedRound();
      await expectRevert(call(0, 'publishVersion', [1n, 1n]), 'ModelNotAggregateTask');
      const open = await createTask(chain, 0, await aggregateParams(rootOf(winners)));
      await expectRevert(call(0, 'publishVersion', [1n, open]), 'ModelTaskNotFinalized');
      await advance(chain, 200);
      await send(chain, 0, chain.addresses.taskMarket, taskMarketAbi, 'finalize', [open]);
      await expectRevert(call(0, 'publishVersion', [1n, open]), 'ModelTaskNotFinalized');
      await expectRevert(call(0, 'publishVersion', [1n, 99n]), 'TaskNotFound');
    }));

  it('rejects an aggregate whose round is unfinished or empty', () =>
    isolated(chain, async () => {
      await call(0, 'createModel', ['tiny-gpt', GENESIS]);
      const w1 = id32('update 1');
      await runTask(await trainParams(), w1);
      await createTask(chain, 0, await trainParams());
      const agg = await runTask(await aggregateParams(rootOf([w1])), id32('merged'));
      const args = await expectRevert(call(0, 'publishVersion', [1n, agg]), 'ModelRoundNotFinalized');
      assert.deepEqual(args, [ROUND, 1n]);
      const lonely = await runTask(
        await aggregateParams(rootOf([]), poolOf(0, 'empty round')),
        id32('merged'),
      );
      await expectRevert(call(0, 'publishVersion', [1n, lonely]), 'ModelRoundNotFinalized');
    }));

  it('rejects an aggregate whose inputs are not exactly the round winners in creation order', () =>
    isolated(chain, async () => {
      await call(0, 'createModel', ['tiny-gpt', GENESIS]);
      const [w1, w2] = await finishedRound();
      for (const wrong of [[w2, w1], [w1], [w1, w2, w2]]) {
        const agg = await runTask(await aggregateParams(rootOf(wrong)), id32('merged'));
        const args = await expectRevert(call(0, 'publishVersion', [1n, agg]), 'ModelInputsMismatch');
        assert.deepEqual(args, [rootOf([w1, w2]), rootOf(wrong)]);
      }
    }));
});
