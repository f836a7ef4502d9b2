import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Hex, keccak256, parseEther, toHex, zeroHash } from 'viem';
import { randomSalt } from '../../core/salt.ts';
import { DEPLOY_DEFAULTS } from '../deploy.ts';
import { type DevChain, startDevChain } from '../devChain.ts';
import { poolId } from '../poolId.ts';
import { taskKindId } from '../taskTypes.ts';
import { commit } from './commit.ts';
import { createTask } from './createTask.ts';
import { drawCommittee } from './drawCommittee.ts';
import { finalize } from './finalize.ts';
import { minStake } from './minStake.ts';
import { participantState } from './participantState.ts';
import { poolTasks } from './poolTasks.ts';
import { poolWinners } from './poolWinners.ts';
import { reveal } from './reveal.ts';
import { taskCount } from './taskCount.ts';

// The read bindings the node decides its steps from, against a real anvil:
// a participant's record through commit, reveal and finalize, a pool's tasks
// and winners, the task count, and the registry's minimum stake.
let dev: DevChain;
before(async () => {
  dev = await startDevChain({ actors: 3, registerStake: parseEther('1000') });
  pool = poolId(dev.deployer.account.address, 'reads-test-round');
});
after(async () => await dev?.stop());

let pool: Hex;
const winner = keccak256(toHex('the majority result'));
const loser = keccak256(toHex('a wrong result'));

async function poolTask() {
  const now = (await dev.deployer.publicClient.getBlock()).timestamp;
  return await createTask(dev.deployer, {
    kind: taskKindId('matvec'),
    specDigest: keccak256(toHex(`spec ${Math.random()}`)),
    pool,
    baseReward: parseEther('10'),
    bond: parseEther('1'),
    stakeSlash: parseEther('5'),
    maxParticipants: 3,
    quorum: 2,
    committeeSize: 3,
    commitDeadline: now + 600n,
    revealDeadline: now + 1200n,
  });
}

test('minStake reads the deployed registry minimum', async () => {
  assert.equal(await minStake(dev.deployer), DEPLOY_DEFAULTS.minStake);
});

test('participantState follows a member through commit, reveal and finalize', async () => {
  const countBefore = await taskCount(dev.deployer);
  const { taskId } = await poolTask();
  assert.equal(await taskCount(dev.deployer), countBefore + 1n);
  assert.equal(taskId, countBefore + 1n);
  const [a, b, c] = dev.actors as [DevChain['actors'][0], DevChain['actors'][0], DevChain['actors'][0]];
  const outsider = dev.deployer.account.address;
  assert.equal((await participantState(dev.deployer, { taskId, account: outsider })).status, 'none');

  await drawCommittee(dev.deployer, { taskId });
  const drawn = await participantState(dev.deployer, { taskId, account: a.account.address });
  assert.equal(drawn.status, 'member');
  assert.equal(drawn.stake, parseEther('1000'));
  assert.equal(drawn.resultDigest, zeroHash);

  const salts = [randomSalt(), randomSalt(), randomSalt()];
  const digests = [winner, winner, loser];
  for (const [i, actor] of [a, b, c].entries()) {
    await commit(actor, { taskId, resultDigest: digests[i]!, salt: salts[i]! });
  }
  const committed = await participantState(dev.deployer, { taskId, account: a.account.address });
  assert.equal(committed.status, 'committed');
  assert.notEqual(committed.commitment, zeroHash);
  assert.equal(committed.resultDigest, zeroHash, 'a commitment reveals nothing');

  for (const [i, actor] of [a, b, c].entries()) {
    await reveal(actor, { taskId, resultDigest: digests[i]!, salt: salts[i]! });
  }
  const revealed = await participantState(dev.deployer, { taskId, account: c.account.address });
  assert.equal(revealed.status, 'revealed');
  assert.equal(revealed.resultDigest, loser);

  await finalize(dev.deployer, { taskId });
  const won = await participantState(dev.deployer, { taskId, account: a.account.address });
  const lost = await participantState(dev.deployer, { taskId, account: c.account.address });
  assert.ok(won.payout > 0n);
  assert.equal(won.slashed, 0n);
  assert.equal(won.claimed, false);
  assert.equal(lost.payout, 0n);
  assert.equal(lost.slashed, parseEther('5'));
  assert.deepEqual(await poolWinners(dev.deployer, { pool }), [winner]);
});

test('poolTasks and poolWinners list a pool in creation order, winners only once finalized', async () => {
  const tasksBefore = await poolTasks(dev.deployer, { pool });
  const winnersBefore = await poolWinners(dev.deployer, { pool });
  const first = await poolTask();
  const second = await poolTask();
  assert.deepEqual(await poolTasks(dev.deployer, { pool }), [...tasksBefore, first.taskId, second.taskId]);
  assert.deepEqual(await poolWinners(dev.deployer, { pool }), winnersBefore, 'open tasks have no winner yet');
  assert.deepEqual(await poolTasks(dev.deployer, { pool: keccak256(toHex('empty pool')) }), []);
  assert.deepEqual(await poolWinners(dev.deployer, { pool: keccak256(toHex('empty pool')) }), []);
});
