import { parseEther } from 'viem';
import type { ConcordContext } from '../chain/context.ts';
import { encodeTensor } from '../core/codec.ts';
import type { TaskView } from '../node/api/types.ts';
import { readParticipantState } from '../node/chainReads.ts';
import { KERNEL_VERSION } from '../tensor/index.ts';
import { DevnetDemoTimeoutError } from './errors.ts';
import type { NodeClient } from './nodeClient.ts';

/** The stages a task goes through, in order, with how many members reached each. */
export type TaskProgress = {
  taskId: string;
  state: string;
  committee: number;
  committed: number;
  revealed: number;
  finalized: boolean;
  claimed: number;
  winners: number;
};

/** One progress line: `created ✓ → committed 3/3 → revealed 2/3 → finalized … → claimed 0/3`. */
export function formatProgress(p: TaskProgress): string {
  const final = p.state === 'failed' ? 'failed ✗' : p.finalized ? 'finalized ✓' : 'finalized …';
  const claimed = p.finalized ? `${p.claimed}/${p.winners}` : '…';
  return `task ${p.taskId}: created ✓ → committed ${p.committed}/${p.committee || '?'} → revealed ${p.revealed}/${p.committee || '?'} → ${final} → claimed ${claimed}`;
}

/** Reads a task's progress: the node's view plus each winner's `claimed` flag from the chain. */
export async function readProgress(
  node: NodeClient,
  reader: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  taskId: string,
): Promise<{ progress: TaskProgress; view: TaskView }> {
  const view = await node.task(taskId);
  const finalized = view.state === 'finalized';
  const states = await Promise.all(
    view.payouts.map((p) => readParticipantState(reader, { taskId: BigInt(taskId), account: p.account })),
  );
  const progress: TaskProgress = {
    taskId,
    state: view.state,
    committee: view.committee.length,
    committed: view.commits.length,
    revealed: view.reveals.length,
    finalized,
    claimed: states.filter((s) => s.claimed).length,
    winners: view.payouts.length,
  };
  return { progress, view };
}

/** Whether every stage of the task is done (or it failed). */
export function isSettled(p: TaskProgress): boolean {
  return p.state === 'failed' || (p.finalized && p.claimed === p.winners);
}

/**
 * Creates the demo `matvec` task through node 0's API: a small fixed matrix
 * and vector uploaded as blobs, every node in the committee, a quorum of
 * two. Returns the task id.
 */
export async function createDemoMatvecTask(node: NodeClient, nodes: number, seed = 1): Promise<string> {
  const rows = 8;
  const cols = 16;
  const w = new Float32Array(rows * cols).map((_, i) => (((i + 1) * (seed + 6)) % 23) / 23 - 0.5);
  const x = new Float32Array(cols).map((_, i) => ((i + seed) % 7) / 7 - 0.5);
  const spec = {
    kind: 'matvec',
    kernel: KERNEL_VERSION,
    matrix: await node.putBlob(encodeTensor({ dtype: 'f32', shape: [rows, cols], data: w })),
    vector: await node.putBlob(encodeTensor({ dtype: 'f32', shape: [cols], data: x })),
  };
  const created = await node.createTask({
    spec,
    baseReward: parseEther('1').toString(),
    growthBps: 1000,
    bond: parseEther('1').toString(),
    stakeSlash: parseEther('10').toString(),
    maxParticipants: nodes,
    quorum: Math.min(2, nodes),
    committeeSize: nodes,
    commitSeconds: 120,
    revealSeconds: 120,
  });
  return created.taskId;
}

/** Polls the task every 200 ms, calling `onChange` with each new progress line, until it is settled. */
export async function followTask(
  node: NodeClient,
  reader: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  taskId: string,
  onChange: (progress: TaskProgress) => void,
  timeoutMs = 180_000,
): Promise<TaskView> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const { progress, view } = await readProgress(node, reader, taskId);
    const line = formatProgress(progress);
    if (line !== last) onChange(progress);
    last = line;
    if (isSettled(progress)) return view;
    if (Date.now() > deadline) {
      throw new DevnetDemoTimeoutError(`The demo task ${taskId} did not settle in time: ${line}.`, {
        hint: 'Read the node logs in <dir>/node*/node.log.',
      });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
