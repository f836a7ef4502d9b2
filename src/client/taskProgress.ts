import { participantState as readParticipantState } from '../chain/actions/participantState.ts';
import type { ConcordContext } from '../chain/context.ts';
import type { TaskView } from '../node/api/types.ts';
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

/** A task's stages as counted units: commits and reveals of each member, the finalization, and each winner's claim. */
export function progressUnits(p: TaskProgress): { done: number; total: number } {
  const settled = p.state === 'failed' || p.finalized;
  const done = p.committed + p.revealed + (settled ? 1 : 0) + p.claimed;
  const total = 2 * Math.max(p.committee, p.committed) + 1 + (p.finalized ? p.winners : p.committee);
  return { done: p.state === 'failed' ? total : done, total };
}

/**
 * Polls the tasks every 200 ms, calling `onChange` with all their progress
 * whenever a stage count changes, until every task is settled; returns the
 * final views in the order of `taskIds`.
 */
export async function followTasks(
  node: NodeClient,
  reader: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  taskIds: readonly string[],
  onChange: (progress: TaskProgress[]) => void,
  timeoutMs = 300_000,
): Promise<TaskView[]> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const read = await Promise.all(taskIds.map((id) => readProgress(node, reader, id)));
    const progress = read.map((r) => r.progress);
    const lines = progress.map(formatProgress).join('\n');
    if (lines !== last) onChange(progress);
    last = lines;
    if (progress.every(isSettled)) return read.map((r) => r.view);
    if (Date.now() > deadline) {
      throw new DevnetDemoTimeoutError(`The devnet's tasks did not settle in time:\n${lines}`, {
        hint: 'Read the node logs in <dir>/node*/node.log.',
      });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
