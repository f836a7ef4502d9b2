import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeAbiParameters, type Hex, keccak256, parseEther, toHex } from 'viem';
import { concordTokenAbi } from '../../../generated/contracts/index.ts';
import { randomSalt } from '../../core/salt.ts';
import { type DevChain, startDevChain } from '../devChain.ts';
import { increaseTime } from '../devRpc.ts';
import { poolId } from '../poolId.ts';
import { type TaskParams, taskKindId } from '../taskTypes.ts';
import { activeNodes } from './activeNodes.ts';
import { approve } from './approve.ts';
import { balanceOf } from './balanceOf.ts';
import { buyCredits } from './buyCredits.ts';
import { claim } from './claim.ts';
import { claimEpochCredits } from './claimEpochCredits.ts';
import { claimMany } from './claimMany.ts';
import { commit } from './commit.ts';
import { commitMany } from './commitMany.ts';
import { committeeOf } from './committeeOf.ts';
import { createModel } from './createModel.ts';
import { createTask } from './createTask.ts';
import { createTasks } from './createTasks.ts';
import { creditsOf } from './creditsOf.ts';
import { drawCommittee } from './drawCommittee.ts';
import { ensureAllowance } from './ensureAllowance.ts';
import { finalize } from './finalize.ts';
import { finalizeMany } from './finalizeMany.ts';
import { getNode } from './getNode.ts';
import { getTask } from './getTask.ts';
import { listTasks } from './listTasks.ts';
import { modelMemoryOf } from './modelMemoryOf.ts';
import { publishVersion } from './publishVersion.ts';
import { requestUnstake } from './requestUnstake.ts';
import { reveal } from './reveal.ts';
import { revealMany } from './revealMany.ts';
import { setModelMemory } from './setModelMemory.ts';
import { sharesOf } from './sharesOf.ts';
import { stake } from './stake.ts';
import { type TaskMarketEvent, watchTasks } from './watchTasks.ts';
import { withdrawStake } from './withdrawStake.ts';

const STAKE = parseEther('1000');
let dev: DevChain;
before(async () => {
  dev = await startDevChain({ actors: 3, registerStake: STAKE });
});
after(async () => await dev?.stop());

const digestA = keccak256(toHex('result A'));

/** What `spender` (default TaskMarket) may still pull from `ctx`'s account. */
async function allowanceOf(ctx: DevChain['deployer'], spender = ctx.addresses.taskMarket): Promise<bigint> {
  return await ctx.publicClient.readContract({
    address: ctx.addresses.token,
    abi: concordTokenAbi,
    functionName: 'allowance',
    args: [ctx.account.address, spender],
  });
}
const digestB = keccak256(toHex('result B'));

async function taskParams(overrides: Partial<TaskParams> = {}): Promise<TaskParams> {
  const now = (await dev.deployer.publicClient.getBlock()).timestamp;
  return {
    kind: taskKindId('matvec'),
    specDigest: keccak256(toHex('spec')),
    baseReward: parseEther('10'),
    bond: parseEther('1'),
    stakeSlash: parseEther('5'),
    growthBps: 1000,
    maxParticipants: 3,
    quorum: 2,
    committeeSize: 3,
    commitDeadline: now + 600n,
    revealDeadline: now + 1200n,
    ...overrides,
  };
}

const isRevert = (errorName: string) => (err: unknown) =>
  (err as Error).name === 'ChainRevertError' && (err as { errorName: string }).errorName === errorName;

test('a task runs create, draw, commit, reveal, finalize and claim with a slashed minority', async () => {
  const [a, b, c] = dev.actors as [DevChain['actors'][0], DevChain['actors'][0], DevChain['actors'][0]];
  const { taskId, escrow } = await createTask(dev.deployer, await taskParams());
  // 3 x reward(3) = 36 CCD at most, plus the 10 % protocol fee on that.
  assert.equal(escrow, 3n * parseEther('12') + parseEther('3.6'));
  const { members } = await drawCommittee(dev.deployer, { taskId });
  assert.deepEqual(new Set(members), new Set([a, b, c].map((x) => x.account.address)));
  assert.deepEqual(await committeeOf(dev.deployer, { taskId }), members);
  const salts = [randomSalt(), randomSalt(), randomSalt()];
  const digests = [digestA, digestA, digestB];
  const actors = [a, b, c];
  for (const [i, actor] of actors.entries()) {
    await commit(actor, { taskId, resultDigest: digests[i]!, salt: salts[i]! });
    assert.equal(await allowanceOf(actor), 0n, 'commit approves exactly the bond, which the market took');
  }
  await assert.rejects(
    reveal(a, { taskId, resultDigest: digestB, salt: salts[0]! }),
    isRevert('TaskCommitmentMismatch'),
  );
  for (const [i, actor] of actors.entries()) {
    await reveal(actor, { taskId, resultDigest: digests[i]!, salt: salts[i]! });
  }
  const { outcome } = await finalize(dev.deployer, { taskId });
  assert.equal(outcome.status, 'finalized');
  assert.ok(outcome.status === 'finalized');
  assert.equal(outcome.winner, digestA);
  assert.equal(outcome.winners, 2n);
  assert.equal(outcome.pot, parseEther('6'));
  const task = await getTask(dev.deployer, { taskId });
  assert.equal(task.status, 'finalized');
  const before = await balanceOf(a);
  const paid = await claim(a, { taskId });
  // reward(3) = 10 * 1.2 = 12, plus the bond 1, plus half the pot 3.
  assert.equal(paid.amount, parseEther('16'));
  assert.equal(await balanceOf(a), before + paid.amount);
  await assert.rejects(claim(c, { taskId }), isRevert('TaskNothingToClaim'));
  assert.equal((await getNode(c)).stake, STAKE - parseEther('5'));
  // 1e6 units per CCD of reward paid.
  assert.equal(await sharesOf(a, { taskId }), 12_000_000n);
  assert.equal(await sharesOf(c, { taskId }), 0n);
  const refund = await claim(dev.deployer, { taskId });
  // The genesis units minted at deployment receive the protocol fee: 10 % of the 24 paid out.
  assert.equal(refund.amount, escrow - 2n * parseEther('12') - parseEther('2.4'));
});

test('batched create, commitMany, revealMany, finalizeMany and claimMany settle every task', async () => {
  const base = await taskParams();
  const { taskIds } = await createTasks(dev.deployer, { tasks: [base, base, base, base] });
  assert.equal(taskIds.length, 4);
  const reveals = new Map<string, { taskId: bigint; resultDigest: Hex; salt: Hex }[]>();
  for (const actor of dev.actors) {
    const mine = taskIds.map((taskId) => ({ taskId, resultDigest: digestA, salt: randomSalt() }));
    reveals.set(actor.account.address, mine);
    await commitMany(actor, { commits: mine });
  }
  for (const actor of dev.actors) await revealMany(actor, { reveals: reveals.get(actor.account.address)! });
  const { outcomes } = await finalizeMany(dev.deployer, { taskIds });
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['finalized', 'finalized', 'finalized', 'finalized'],
  );
  const { total, amounts } = await claimMany(dev.actors[0]!, { taskIds });
  assert.equal(amounts.length, 4);
  assert.equal(total, 4n * (parseEther('12') + parseEther('1')));
  const { tasks, taskCount } = await listTasks(dev.deployer, { from: taskIds[0]!, limit: 2 });
  assert.equal(tasks.length, 2);
  assert.ok(taskCount >= taskIds.at(-1)!);
});

test('a commit after the deadline is ChainRevertError TaskCommitClosed', async () => {
  const { taskId } = await createTask(dev.deployer, await taskParams());
  await increaseTime(dev.deployer, 601);
  await assert.rejects(
    commit(dev.actors[0]!, { taskId, resultDigest: digestA, salt: randomSalt() }),
    isRevert('TaskCommitClosed'),
  );
  await assert.rejects(getTask(dev.deployer, { taskId: 10_000n }), isRevert('TaskNotFound'));
});

test('stake, requestUnstake and withdrawStake move stake through the delay', async () => {
  const actor = dev.actors[2]!;
  await stake(actor, { amount: parseEther('50') });
  const before = await getNode(actor);
  await requestUnstake(actor, { amount: parseEther('50') });
  await assert.rejects(withdrawStake(actor), isRevert('NodeUnstakeTooEarly'));
  const pending = await getNode(actor);
  assert.equal(pending.stake, before.stake - parseEther('50'));
  assert.equal(pending.pending, parseEther('50'));
  await increaseTime(actor, 3601);
  const balance = await balanceOf(actor);
  await withdrawStake(actor);
  assert.equal(await balanceOf(actor), balance + parseEther('50'));
  assert.equal((await getNode(actor)).pending, 0n);
});

test('setModelMemory announces a cap that modelMemoryOf and activeNodes read back; only registered nodes may', async () => {
  const [a, b] = [dev.actors[0]!, dev.actors[1]!];
  await setModelMemory(a, { bytes: 3n * 2n ** 30n });
  assert.equal(await modelMemoryOf(b, { account: a.account.address }), 3n * 2n ** 30n);
  const caps = new Map((await activeNodes(b)).map((n) => [n.account, n.modelMemory]));
  assert.equal(caps.get(a.account.address), 3n * 2n ** 30n);
  assert.equal(caps.get(b.account.address), 0n);
  await setModelMemory(a, { bytes: 0n });
  assert.equal(await modelMemoryOf(b, { account: a.account.address }), 0n);
  await assert.rejects(setModelMemory(dev.deployer, { bytes: 1n }), isRevert('NodeUnknown'));
});

test('a model publishes an aggregate of its round; credits are bought and claimed', async () => {
  const pool = poolId(dev.deployer.account.address, 'round-1');
  const { modelId } = await createModel(dev.deployer, { name: 'tiny', genesisDigest: keccak256(toHex('g')) });
  const run = async (params: TaskParams) => {
    const { taskId } = await createTask(dev.deployer, params);
    const salts = dev.actors.map(() => randomSalt());
    for (const [i, actor] of dev.actors.entries()) {
      await commit(actor, { taskId, resultDigest: digestA, salt: salts[i]! });
    }
    for (const [i, actor] of dev.actors.entries()) {
      await reveal(actor, { taskId, resultDigest: digestA, salt: salts[i]! });
    }
    await finalize(dev.deployer, { taskId });
    return taskId;
  };
  await run(await taskParams({ pool }));
  const inputsRoot = keccak256(encodeAbiParameters([{ type: 'bytes32[]' }], [[digestA]]));
  const aggregateId = await run(await taskParams({ kind: taskKindId('aggregate'), pool, inputsRoot }));
  const { index, digest } = await publishVersion(dev.deployer, { modelId, aggregateTaskId: aggregateId });
  assert.equal(index, 1n);
  assert.equal(digest, digestA);
  await assert.rejects(
    publishVersion(dev.deployer, { modelId, aggregateTaskId: aggregateId }),
    isRevert('ModelTaskAlreadyPublished'),
  );
  const { cost } = await buyCredits(dev.deployer, { credits: 100n });
  assert.equal(cost, 100n * parseEther('0.001'));
  assert.equal(await creditsOf(dev.deployer), 100n);
  await increaseTime(dev.deployer, 3600);
  const { credits } = await claimEpochCredits(dev.actors[0]!);
  assert.ok(credits > 0n);
  assert.equal(await creditsOf(dev.actors[0]!), credits);
});

test('watchTasks delivers past events from a block and stops', async () => {
  const seen: TaskMarketEvent[] = [];
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  const count = (await listTasks(dev.deployer, { limit: 1 })).taskCount;
  const watcher = watchTasks(dev.deployer, {
    fromBlock: 0n,
    maxBlockRange: 7n,
    onEvents: (events) => {
      seen.push(...events);
      if (seen.filter((e) => e.eventName === 'TaskCreated').length >= Number(count)) resolve();
    },
  });
  await promise;
  watcher.stop();
  const created = seen.filter((e) => e.eventName === 'TaskCreated').map((e) => e.args.taskId);
  assert.deepEqual(
    created,
    Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1)),
  );
  assert.ok(watcher.nextBlock() > 0n);
});

test('watchTasks resumes from nextBlock without losing or repeating events', async () => {
  const collect = (fromBlock: bigint, until: (events: TaskMarketEvent[]) => boolean) =>
    new Promise<{ events: TaskMarketEvent[]; next: bigint }>((resolve) => {
      const events: TaskMarketEvent[] = [];
      const watcher = watchTasks(dev.deployer, {
        fromBlock,
        onEvents: (batch, toBlock) => {
          events.push(...batch);
          if (until(events)) {
            watcher.stop();
            resolve({ events, next: toBlock + 1n });
          }
        },
      });
    });
  const start = await dev.deployer.publicClient.getBlockNumber();
  const { taskId: firstId } = await createTask(dev.deployer, await taskParams());
  const first = await collect(start + 1n, (e) => e.some((x) => x.eventName === 'TaskCreated'));
  const { taskId: secondId } = await createTask(dev.deployer, await taskParams());
  const second = await collect(first.next, (e) => e.some((x) => x.eventName === 'TaskCreated'));
  const ids = (events: TaskMarketEvent[]) =>
    events.flatMap((e) => (e.eventName === 'TaskCreated' ? [e.args.taskId] : []));
  assert.deepEqual(ids(first.events), [firstId]);
  assert.deepEqual(ids(second.events), [secondId]);
});

test('ensureAllowance approves exactly the amount needed, never more', async () => {
  const actor = dev.actors[1]!;
  const spender = dev.deployment.addresses.accessCredits;
  await approve(actor, { spender, amount: 5n });
  const first = await ensureAllowance(actor, { spender, amount: 6n });
  assert.ok(first, 'a short allowance is raised');
  assert.equal(first.status, 'success');
  assert.equal(await allowanceOf(actor, spender), 6n);
  assert.equal(await ensureAllowance(actor, { spender, amount: 6n }), undefined);
  const { tasks, taskCount } = await listTasks(dev.deployer, { from: 1_000_000n });
  assert.deepEqual(tasks, []);
  assert.ok(taskCount > 0n);
});
