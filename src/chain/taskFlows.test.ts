import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseEther } from 'viem';
import { getTask } from './actions/getTask.ts';
import { type DevChain, startDevChain } from './devChain.ts';
import { gasPerTaskOf, runTasksBatched, runTasksOneByOne, TASK_STEPS } from './taskFlows.ts';
import { type TaskParams, taskKindId } from './taskTypes.ts';

let dev: DevChain;
before(async () => {
  // Mixed mining: parallel batches each capped at the block gas limit cannot share one automined
  // block; the 1 s interval mines the one left pending instead of leaving it there forever.
  dev = await startDevChain({
    actors: 3,
    registerStake: parseEther('1000'),
    anvil: { blockTime: 1, mixedMining: true },
  });
});
after(async () => await dev?.stop());

async function params(): Promise<TaskParams> {
  const now = (await dev.deployer.publicClient.getBlock()).timestamp;
  return {
    kind: taskKindId('flow'),
    specDigest: taskKindId('flow spec'),
    baseReward: parseEther('2'),
    bond: parseEther('1'),
    maxParticipants: 4,
    quorum: 2,
    committeeSize: 3,
    commitDeadline: now + 600n,
    revealDeadline: now + 1200n,
  };
}

test('one-by-one and batched flows settle every task and the creator is refunded', async () => {
  const parties = { creator: dev.deployer, participants: dev.actors };
  const one = await runTasksOneByOne(parties, await params(), 2);
  assert.equal(one.receipts.commit.length, 6);
  assert.equal(one.receipts.claim.length, 8, '3 participants and the creator claim each task');
  const first = await runTasksBatched(parties, await params(), 3);
  const gasPerTask = gasPerTaskOf(first);
  for (const step of TASK_STEPS) assert.ok(gasPerTask[step] > 0n, step);
  const second = await runTasksBatched(parties, await params(), 5, { gasPerTask });
  assert.equal(second.receipts.claim.length, 4);
  for (const taskId of [...one.taskIds, ...first.taskIds, ...second.taskIds]) {
    const task = await getTask(dev.deployer, { taskId });
    assert.equal(task.status, 'finalized');
    assert.equal(task.creatorClaimed, true);
  }
});

test('a batch whose padded estimate exceeds the block gas limit is capped and still settles', async () => {
  // finalizeMany of 90 tasks needs ~28.4 M gas; 25 % headroom would exceed anvil's 30 M block limit.
  const parties = { creator: dev.deployer, participants: dev.actors };
  const run = await runTasksBatched(parties, await params(), 90);
  const finalizeGas = run.receipts.finalize[0]!.gasUsed;
  assert.ok(finalizeGas > 24_000_000n, `finalizeMany used ${finalizeGas}`);
  const last = await getTask(dev.deployer, { taskId: run.taskIds.at(-1)! });
  assert.equal(last.status, 'finalized');
});
