import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { encodeFunctionData, maxUint256, parseEther, toHex } from 'viem';
import { taskMarketAbi } from '../../generated/contracts/index.ts';
import { approve } from '../chain/actions/approve.ts';
import { getTask } from '../chain/actions/getTask.ts';
import { taskCount } from '../chain/actions/taskCount.ts';
import { type DevChain, startDevChain } from '../chain/devChain.ts';
import { mineBlocks, reorg } from '../chain/devRpc.ts';
import { taskKindId, toTaskParamsStruct } from '../chain/taskTypes.ts';
import { parseCursor } from '../chain/watchCursor.ts';
import { encodeTensor } from '../core/codec.ts';
import { createTaskKindRegistry } from '../tasks/builtin.ts';
import { encodeTaskSpec } from '../tasks/spec.ts';
import { KERNEL_VERSION } from '../tensor/index.ts';
import type { RunningNode } from './daemon.ts';
import { startLocalNodes } from './localNodes.ts';

// Three in-process daemons on anvil (automine). A task is created on chain
// (not through a node's API, so no gossip announces it) only in a block that
// replaces one the nodes' watchers had already passed.
let chain: DevChain;
let dir: string;
let nodes: RunningNode[] = [];
const logs: string[][] = [[], [], []];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'concord-reorg-events-'));
  chain = await startDevChain({ actors: 3 });
  nodes = await startLocalNodes({
    chain,
    dir,
    count: 3,
    config: (i) => ({ pollIntervalMs: 50, log: (line: string) => void logs[i]!.push(line) }),
  });
});

after(async () => {
  for (const n of nodes) await n.stop();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Polls `check` every 100 ms until it returns a value; fails with `what` after `ms`. */
async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      assert.fail(
        `timed out waiting for ${what}\n${logs.map((l) => l.slice(-8).join('\n')).join('\n---\n')}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('a task created only in a replacement block is picked up and completed by every node', async () => {
  const creator = nodes[0]!;
  const kinds = createTaskKindRegistry();
  const tensor = (shape: number[]) =>
    creator.store.blobs.putBlob(
      encodeTensor({
        dtype: 'f32',
        shape,
        data: new Float32Array(shape.reduce((a, b) => a * b)).map((_, i) => (i % 5) / 5),
      }),
    );
  const spec = encodeTaskSpec(kinds, {
    kind: 'matvec',
    kernel: KERNEL_VERSION,
    matrix: tensor([4, 6]),
    vector: tensor([6]),
  });
  creator.store.blobs.putBlob(spec.bytes);
  await approve(creator.ctx, { spender: chain.deployer.addresses.taskMarket, amount: maxUint256 });
  const now = (await chain.deployer.publicClient.getBlock()).timestamp;
  const data = encodeFunctionData({
    abi: taskMarketAbi,
    functionName: 'createTask',
    args: [
      toTaskParamsStruct({
        kind: taskKindId('matvec'),
        specDigest: spec.digest,
        baseReward: parseEther('1'),
        bond: parseEther('1'),
        stakeSlash: parseEther('10'),
        maxParticipants: 3,
        quorum: 2,
        committeeSize: 3,
        commitDeadline: now + 120n,
        revealDeadline: now + 240n,
      }),
    ],
  });
  await mineBlocks(chain.deployer, 3);
  // Let every watcher pass the blocks about to be replaced (50 ms polls).
  await new Promise((r) => setTimeout(r, 1000));
  const taskId = (await taskCount(chain.deployer)) + 1n;
  await reorg(chain.deployer, 3, [
    [{ from: creator.address, to: chain.deployer.addresses.taskMarket, data, gas: toHex(2_000_000) }, 0],
  ]);
  assert.equal(await taskCount(chain.deployer), taskId, 'the creation is in the replacement branch');
  await waitFor('every worker to follow the task', () =>
    nodes.every((n) => n.worker.activeTasks().includes(taskId)) ? true : undefined,
  );
  await waitFor('the task to be finalized and claimed by every node', async () => {
    const task = await getTask(chain.deployer, { taskId });
    const claimed = nodes.every((n) => n.store.journal.get(taskId)?.state === 'claimed');
    if (task.status === 'finalized' && claimed) return true;
    // The journal records a claim once confirmed (blocks on top); this chain mines only on transactions.
    if (task.status === 'finalized') await mineBlocks(chain.deployer, 1);
    return undefined;
  });
  for (const n of nodes) {
    // What a restart resumes from: the hashes of blocks on the new branch.
    const last = parseCursor(n.store.settings.get('worker.cursor')!).at(-1)!;
    assert.equal((await chain.deployer.publicClient.getBlock({ blockNumber: last.number })).hash, last.hash);
  }
  for (const lines of logs) {
    assert.equal(lines.filter((l) => l.startsWith('chain reorganized: ')).length, 1, lines.join('\n'));
    assert.equal(lines.filter((l) => l.startsWith('watch:')).length, 0, lines.join('\n'));
  }
});
