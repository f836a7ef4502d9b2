import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeFunctionData, erc20Abi, type Hex, maxUint256, parseEther, toHex } from 'viem';
import { taskMarketAbi } from '../../generated/contracts/index.ts';
import { getTask } from '../../src/chain/actions/getTask.ts';
import { participantState } from '../../src/chain/actions/participantState.ts';
import { type DevChain, startDevChain } from '../../src/chain/devChain.ts';
import { rawTransaction, reorg, sendAs, setAutomine, setIntervalMining } from '../../src/chain/devRpc.ts';
import { taskKindId, toTaskParamsStruct } from '../../src/chain/taskTypes.ts';
import { encodeTensor } from '../../src/core/codec.ts';
import type { RunningNode } from '../../src/node/daemon.ts';
import { startLocalNodes } from '../../src/node/localNodes.ts';
import { DEFAULT_TASK_POLICY } from '../../src/node/worker/taskPolicy.ts';
import { createTaskKindRegistry } from '../../src/tasks/builtin.ts';
import { encodeTaskSpec } from '../../src/tasks/spec.ts';
import { KERNEL_VERSION } from '../../src/tensor/index.ts';
import { waitFor } from './nodeProcess.ts';

// Three in-process daemons (real libp2p, real stores) on one anvil mining a block a second with
// automine off; every task has all three in its committee and node 0 as its creator. Reorgs drop
// (and re-include) commits, reveals, finalizes and claims; every node must end paid, the creator
// refunded, and every journal matching the chain.
const NODES = 3;
// Deep enough that a reorg of the reveals, the finalize and the claims (3–4 blocks at one a
// second), made right after the last claim, is within the depth: no node has let the task go.
const CONFIRMATIONS = 4;
let chain: DevChain;
let dir: string;
let nodes: RunningNode[] = [];
const logs: string[][] = Array.from({ length: NODES }, () => []);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'concord-reorg-'));
  chain = await startDevChain({ actors: NODES, deploy: { minCommitWindow: 5n, minRevealWindow: 5n } });
  nodes = await startLocalNodes({
    chain,
    dir,
    count: NODES,
    config: (i) => ({
      pollIntervalMs: 100,
      confirmations: CONFIRMATIONS,
      taskPolicy: { ...DEFAULT_TASK_POLICY, minRevealSeconds: 5 },
      log: (line) => logs[i]!.push(line),
    }),
  });
  await setAutomine(chain.deployer, false);
  await setIntervalMining(chain.deployer, 1);
});

after(async () => {
  const t = Date.now();
  for (const n of nodes) await n.stop();
  console.log(`stopped nodes in ${Date.now() - t} ms`);
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const context = () => logs.map((l, i) => `node${i}:\n  ${l.slice(-25).join('\n  ')}`).join('\n');
const pc = () => chain.deployer.publicClient;
const address = (i: number) => nodes[i]!.ctx.account.address;

/** Node 0 creates a small matvec task with all three nodes in its committee. */
async function createTask(seed: number): Promise<bigint> {
  const rows = 4;
  const cols = 6;
  const put = (bytes: Uint8Array) => nodes[0]!.store.blobs.putBlob(bytes);
  const w = new Float32Array(rows * cols).map((_, i) => ((i * seed) % 13) / 13 - 0.5);
  const x = new Float32Array(cols).map((_, i) => ((i + seed) % 5) / 5 - 0.5);
  const spec = {
    kind: 'matvec',
    kernel: KERNEL_VERSION,
    matrix: put(encodeTensor({ dtype: 'f32', shape: [rows, cols], data: w })),
    vector: put(encodeTensor({ dtype: 'f32', shape: [cols], data: x })),
  };
  // Through node 0's API, which sends under the node's transaction lock (its worker sends too).
  const res = await fetch(`${nodes[0]!.apiUrl}/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${nodes[0]!.apiToken.reveal()}` },
    body: JSON.stringify({
      spec,
      baseReward: parseEther('1').toString(),
      maxParticipants: NODES + 1,
      quorum: 2,
      committeeSize: NODES,
      bond: parseEther('1').toString(),
      stakeSlash: parseEther('1').toString(),
      commitSeconds: 20,
      revealSeconds: 20,
    }),
  });
  const body = (await res.json()) as { taskId: string };
  assert.equal(res.status, 201, JSON.stringify(body));
  const taskId = BigInt(body.taskId);
  return taskId;
}

/** The calldata of a createTask by node `creator` for a matvec task like `createTask(seed)`'s, its blobs in that node's store. */
async function taskCreation(creator: number, seed: number): Promise<Hex> {
  const put = (bytes: Uint8Array) => nodes[creator]!.store.blobs.putBlob(bytes);
  const spec = encodeTaskSpec(createTaskKindRegistry(), {
    kind: 'matvec',
    kernel: KERNEL_VERSION,
    matrix: put(
      encodeTensor({
        dtype: 'f32',
        shape: [4, 6],
        data: new Float32Array(24).map((_, i) => ((i * seed) % 7) / 7),
      }),
    ),
    vector: put(
      encodeTensor({ dtype: 'f32', shape: [6], data: new Float32Array(6).map((_, i) => (i + seed) / 10) }),
    ),
  });
  put(spec.bytes);
  const now = (await pc().getBlock({ blockTag: 'latest' })).timestamp;
  return encodeFunctionData({
    abi: taskMarketAbi,
    functionName: 'createTask',
    args: [
      toTaskParamsStruct({
        kind: taskKindId('matvec'),
        specDigest: spec.digest,
        baseReward: parseEther('1'),
        bond: parseEther('1'),
        stakeSlash: parseEther('1'),
        maxParticipants: NODES + 1,
        quorum: 2,
        committeeSize: NODES,
        commitDeadline: now + 25n,
        revealDeadline: now + 45n,
      }),
    ],
  });
}

/** The task's events of `name` on the current chain, oldest first. */
async function eventsOf<const N extends 'Committed' | 'Revealed' | 'TaskFinalized' | 'Claimed'>(
  taskId: bigint,
  name: N,
) {
  return await pc().getContractEvents({
    address: chain.deployment.addresses.taskMarket,
    abi: taskMarketAbi,
    eventName: name,
    args: { taskId } as never,
    fromBlock: 0n,
  });
}

/** Replaces every block from `fromBlock` on (one reorg at a time), re-including `include` in the first new block. */
async function reorgFrom(fromBlock: bigint, include: Hex[] = []): Promise<number> {
  const head = await pc().getBlockNumber({ cacheTime: 0 });
  const depth = Number(head - fromBlock) + 1;
  await reorg(
    chain.deployer,
    depth,
    include.map((raw) => [raw, 0] as const),
  );
  return depth;
}

/** Every node's payout (and, unless `creator` is false, the creator's refund) is claimed at the latest block. */
async function allClaimed(taskId: bigint, creator = true): Promise<boolean> {
  const task = await getTask(chain.deployer, { taskId });
  if (creator && !task.creatorClaimed) return false;
  const states = await Promise.all(
    nodes.map((_, i) => participantState(chain.deployer, { taskId, account: address(i) })),
  );
  return states.every((p) => p.claimed);
}

/**
 * Waits until the chain at the confirmed height owes nobody anything for
 * `taskId` and no node follows it any more, then checks that every node
 * revealed the honest result, was paid and claimed (one Claimed event on the
 * final chain with its payout), that the creator was refunded, and that each
 * journal says claimed with the transaction the chain shows.
 */
async function assertSettledAndPaid(taskId: bigint): Promise<void> {
  await waitFor(
    `task ${taskId} settled, claimed, refunded and confirmed on every node`,
    async () => {
      const task = await getTask(chain.deployer, { taskId });
      if (task.status !== 'finalized' || !task.creatorClaimed) return undefined;
      const busy = nodes.some(
        (n) => n.worker.activeTasks().includes(taskId) || n.store.journal.pendingTaskIds().includes(taskId),
      );
      return busy ? undefined : true;
    },
    90_000,
    context,
  );
  const task = await getTask(chain.deployer, { taskId });
  assert.ok(task.creatorRefund > 0n, 'the creator had a refund');
  const claims = await eventsOf(taskId, 'Claimed');
  for (let i = 0; i < NODES; i++) {
    const me = await participantState(chain.deployer, { taskId, account: address(i) });
    assert.equal(me.status, 'revealed', `node${i} revealed`);
    assert.equal(me.resultDigest, task.winner, `node${i} revealed the winning result`);
    assert.ok(me.payout > 0n, `node${i} is owed a payout`);
    assert.ok(me.claimed, `node${i} claimed`);
    const own = claims.filter((c) => c.args.account === address(i));
    assert.equal(own.length, 1, `node${i} has one Claimed event on the final chain`);
    const expected = me.payout + (i === 0 ? task.creatorRefund : 0n);
    assert.equal(own[0]!.args.amount, expected, `node${i} received its payout (and refund as creator)`);
    const record = nodes[i]!.store.journal.get(taskId)!;
    assert.equal(record.state, 'claimed', `node${i}'s journal matches the chain`);
    assert.equal(record.claimTx, own[0]!.transactionHash, `node${i}'s journal names the claim on the chain`);
  }
}

/** Node `i`'s lines about `taskId` that report a reorg; each says something new (nothing logged twice). */
function reorgLines(i: number, taskId: bigint): string[] {
  const lines = logs[i]!.filter((l) => l.startsWith(`task ${taskId}: `) && l.includes('reorg:'));
  assert.equal(new Set(lines).size, lines.length, `node${i} logged a reorg twice:\n${lines.join('\n')}`);
  return lines;
}

/** Node `i`'s lines that report transaction `hash` of `taskId` dropped or moved. */
function txLines(i: number, taskId: bigint, hash: Hex): string[] {
  const prefix = `task ${taskId}: `;
  return logs[i]!.filter(
    (l) => l.startsWith(prefix) && l.includes(hash.toLowerCase()) && /dropped|moved/.test(l),
  );
}

describe('reorgs against a real anvil', { timeout: 240_000 }, () => {
  it('nodes recommit, re-reveal, re-finalize and re-claim what reorgs dropped; the creator finishes its tasks', async () => {
    const started = Date.now();
    // One scenario after the other: a reorg deep enough for one task would drop another's
    // transactions after its window closed, which no node could repair.

    // Depth 1 (the first commit's block and anything after it): a member's commit is dropped
    // while the commit window is open; the node commits again with the same salt and is paid.
    {
      const id = await createTask(1);
      const first = await waitFor(
        `a commit in task ${id}`,
        async () => (await eventsOf(id, 'Committed'))[0],
        30_000,
        context,
      );
      const who = nodes.findIndex((n) => n.ctx.account.address === first.args.account);
      const depth = await reorgFrom(first.blockNumber);
      const me = await participantState(chain.deployer, { taskId: id, account: address(who) });
      assert.equal(me.status, 'member', `depth ${depth} dropped node${who}'s commit`);
      await assertSettledAndPaid(id);
      // Reported by the tracker (dropped from the block it saw, or moved when the node's identical
      // re-commit was mined before it looked) or by the sender (TRANSACTION_DROPPED, when it never got
      // the receipt) — under load possibly both, but never the same line twice.
      const commitLines = txLines(who, id, first.transactionHash);
      assert.ok(commitLines.length >= 1, 'the drop was logged');
      assert.equal(new Set(commitLines).size, commitLines.length, `logged twice:\n${commitLines.join('\n')}`);
    }

    // Reveals, the finalize and every claim (the creator's refund among them) dropped after every
    // journal said claimed: the nodes re-reveal, someone finalizes, all claim, the creator its refund too.
    {
      const id = await createTask(2);
      // Right after the last claim is mined, before it is confirmed.
      await waitFor(
        `task ${id} claimed by all`,
        async () => ((await allClaimed(id)) ? true : undefined),
        60_000,
        context,
      );
      const [reveal] = await eventsOf(id, 'Revealed');
      await reorgFrom(reveal!.blockNumber);
      const task = await getTask(chain.deployer, { taskId: id });
      assert.equal(task.status, 'open');
      assert.equal(task.revealed, 0);
      assert.equal(task.creatorClaimed, false, "the creator's refund claim was dropped");
      await assertSettledAndPaid(id);
      for (let i = 0; i < NODES; i++) assert.ok(reorgLines(i, id).length >= 1, `node${i} saw the reorg`);
    }

    // A reorg that re-includes two nodes' reveals and drops the third's, the finalize and the claims.
    const id = await createTask(4);
    await waitFor(
      `task ${id} claimed by all`,
      async () => ((await allClaimed(id)) ? true : undefined),
      60_000,
      context,
    );
    const reveals = await eventsOf(id, 'Revealed');
    assert.equal(reveals.length, NODES);
    const kept = reveals.slice(0, NODES - 1);
    const dropped = reveals.at(-1)!;
    const raws = await Promise.all(kept.map((r) => rawTransaction(chain.deployer, r.transactionHash)));
    await reorgFrom(reveals[0]!.blockNumber, raws);
    const reopened = await getTask(chain.deployer, { taskId: id });
    assert.equal(reopened.status, 'open');
    assert.equal(reopened.revealed, NODES - 1, 'two reveals were re-included');
    const loser = nodes.findIndex((n) => n.ctx.account.address === dropped.args.account);
    assert.equal(
      (await participantState(chain.deployer, { taskId: id, account: address(loser) })).status,
      'committed',
    );
    await assertSettledAndPaid(id);
    assert.ok(
      reorgLines(loser, id).some((l) => l.includes('reveal')),
      `node${loser} saw its reveal dropped`,
    );
    console.log(`reorg scenarios took ${Date.now() - started} ms`);
  });

  it('a reorg that gives a task id to another task makes every node compute the new task, not commit the old result', async () => {
    // Node 1 will create the replacement task; its allowance is set before the task the reorg replaces.
    await sendAs(chain.deployer, address(1), {
      address: chain.deployment.addresses.token,
      abi: erc20Abi,
      functionName: 'approve',
      args: [chain.deployment.addresses.taskMarket, maxUint256],
    });
    const id = await createTask(5);
    await waitFor(
      `every node's commit in task ${id}`,
      async () => {
        const events = await eventsOf(id, 'Committed');
        return events.length === NODES ? events : undefined;
      },
      30_000,
      context,
    );
    const old = nodes.map((n) => n.store.journal.get(id)!.resultDigest);
    const [created] = await pc().getContractEvents({
      address: chain.deployment.addresses.taskMarket,
      abi: taskMarketAbi,
      eventName: 'TaskCreated',
      args: { taskId: id },
      fromBlock: 0n,
    });
    const replacement = await taskCreation(1, 6);
    const head = await pc().getBlockNumber({ cacheTime: 0 });
    await reorg(chain.deployer, Number(head - created!.blockNumber) + 1, [
      [
        {
          from: address(1),
          to: chain.deployment.addresses.taskMarket,
          data: replacement,
          gas: toHex(2_000_000),
        },
        0,
      ],
    ]);
    const task = await getTask(chain.deployer, { taskId: id });
    assert.equal(task.creator, address(1), "the id now names node 1's task");
    await waitFor(
      `the replacement task ${id} finalized and claimed`,
      async () => {
        const t = await getTask(chain.deployer, { taskId: id });
        return t.status === 'finalized' && t.creatorClaimed && (await allClaimed(id, false)) ? t : undefined;
      },
      90_000,
      context,
    );
    const settled = await getTask(chain.deployer, { taskId: id });
    assert.ok(!old.includes(settled.winner), "the winner is not the replaced task's result");
    for (let i = 0; i < NODES; i++) {
      const me = await participantState(chain.deployer, { taskId: id, account: address(i) });
      assert.equal(me.resultDigest, settled.winner, `node${i} revealed the new task's result`);
      assert.ok(me.payout > 0n && me.claimed, `node${i} was paid`);
      assert.ok(logs[i]!.some((l) => l.includes(`task ${id}: reorg: the id now names another task`)));
    }
  });
});
