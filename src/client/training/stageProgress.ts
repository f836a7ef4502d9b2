import type { ConcordContext } from '../../chain/context.ts';
import type { TaskView } from '../../node/api/types.ts';
import type { NodeClient } from '../nodeClient.ts';
import type { ProgressBar } from '../progressBar.ts';
import { followTasks, progressUnits, type TaskProgress } from '../taskProgress.ts';

/**
 * Follows a stage's tasks (a round's gradient tasks, or its aggregate) on
 * its bar until every one is settled, for at most `timeoutMs`; returns
 * their final views in order.
 */
export async function followStage(
  node: NodeClient,
  reader: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  bar: ProgressBar,
  taskIds: readonly string[],
  timeoutMs: number,
): Promise<TaskView[]> {
  let last: TaskProgress[] = [];
  const onChange = (progress: TaskProgress[]) => {
    last = progress;
    const { done, total } = stageUnits(progress);
    bar.update(done, total, stageDetail(progress));
  };
  const views = await followTasks(node, reader, taskIds, onChange, timeoutMs);
  const { done, total } = stageUnits(last);
  bar.finish(done, total, stageDetail(last));
  return views;
}

/** The combined units of a stage's tasks. */
function stageUnits(progress: readonly TaskProgress[]): { done: number; total: number } {
  const units = progress.map(progressUnits);
  return { done: units.reduce((n, u) => n + u.done, 0), total: units.reduce((n, u) => n + u.total, 0) };
}

/** `committed 8/8 · revealed 8/8 · finalized 4/4 · claimed 7/8`. */
function stageDetail(progress: readonly TaskProgress[]): string {
  const sum = (f: (p: TaskProgress) => number) => progress.reduce((n, p) => n + f(p), 0);
  const failed = sum((p) => (p.state === 'failed' ? 1 : 0));
  return [
    `committed ${sum((p) => p.committed)}/${sum((p) => p.committee)}`,
    `revealed ${sum((p) => p.revealed)}/${sum((p) => p.committee)}`,
    `finalized ${sum((p) => (p.finalized ? 1 : 0))}/${progress.length}`,
    `claimed ${sum((p) => p.claimed)}/${sum((p) => p.winners)}`,
    ...(failed > 0 ? [`failed ${failed}`] : []),
  ].join(' · ');
}
