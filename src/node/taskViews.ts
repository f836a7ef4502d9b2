import type { Address, Hex } from 'viem';
import { committeeOf } from '../chain/actions/committeeOf.ts';
import { getTask } from '../chain/actions/getTask.ts';
import { participantState } from '../chain/actions/participantState.ts';
import { taskCount } from '../chain/actions/taskCount.ts';
import type { ConcordContext } from '../chain/context.ts';
import { ChainRevertError } from '../chain/errors.ts';
import type { Task } from '../chain/taskTypes.ts';
import type { TaskKindRegistry } from '../tasks/registry.ts';
import { UnknownTaskError } from './api/errors.ts';
import type { TaskListPage, TaskListQuery, TaskView } from './api/types.ts';
import { chainNow } from './chainTime.ts';

type ReadContext = Pick<ConcordContext, 'publicClient' | 'addresses'>;

/** Most tasks `listTaskViews` reads for one page when filters skip many. */
export const MAX_TASKS_SCANNED = 1000;

/** The phase of a task as the API names it, from its chain record and the time. */
export function taskPhase(task: Task, now: number): string {
  if (task.status !== 'open') return task.status;
  const allCommitted = task.committeeDrawn && task.committed === task.committeeLength;
  const revealOpen = now >= Number(task.params.commitDeadline) || allCommitted;
  if (!revealOpen) return 'committing';
  const allRevealed = task.revealed === task.committed;
  return now >= Number(task.params.revealDeadline) || allRevealed ? 'finalizable' : 'revealing';
}

/** Reads a task with its committee's commits, reveals and payouts (`UnknownTaskError` if none). */
export async function readTaskView(
  ctx: ReadContext,
  kinds: TaskKindRegistry,
  taskId: bigint,
): Promise<TaskView> {
  let task: Task;
  try {
    task = await getTask(ctx, { taskId });
  } catch (err) {
    if (err instanceof ChainRevertError && err.errorName === 'TaskNotFound') {
      throw new UnknownTaskError(`Task ${taskId} does not exist.`, {
        hint: 'List tasks with GET /v1/tasks.',
      });
    }
    throw err;
  }
  return await toTaskView(ctx, kinds, task, await chainNow(ctx));
}

/** Reads a page of tasks, newest first, keeping those that match the query's filters. */
export async function listTaskViews(
  ctx: ReadContext,
  kinds: TaskKindRegistry,
  query: TaskListQuery,
): Promise<TaskListPage> {
  const count = await taskCount(ctx);
  const now = await chainNow(ctx);
  const views: TaskView[] = [];
  let id = query.before === undefined || query.before > count + 1n ? count : query.before - 1n;
  let scanned = 0;
  while (id >= 1n && views.length < query.limit && scanned < MAX_TASKS_SCANNED) {
    const task = await getTask(ctx, { taskId: id });
    scanned++;
    id--;
    if (matches(task, kinds, query, now)) views.push(await toTaskView(ctx, kinds, task, now));
  }
  return { tasks: views, next: id >= 1n ? (id + 1n).toString() : null };
}

function matches(task: Task, kinds: TaskKindRegistry, q: TaskListQuery, now: number): boolean {
  if (q.state !== undefined && taskPhase(task, now) !== q.state) return false;
  if (q.kind !== undefined) {
    const kindId = kinds.has(q.kind) ? kinds.get(q.kind).kindId : q.kind;
    if (kindId.toLowerCase() !== task.params.kind.toLowerCase()) return false;
  }
  if (q.pool !== undefined && q.pool.toLowerCase() !== task.params.pool.toLowerCase()) return false;
  if (q.creator !== undefined && q.creator.toLowerCase() !== task.creator.toLowerCase()) return false;
  return true;
}

async function toTaskView(
  ctx: ReadContext,
  kinds: TaskKindRegistry,
  task: Task,
  now: number,
): Promise<TaskView> {
  const committee = await committeeOf(ctx, { taskId: task.id });
  const states = await Promise.all(
    committee.map(async (account) => ({
      account,
      ...(await participantState(ctx, { taskId: task.id, account })),
    })),
  );
  const commits: Address[] = states
    .filter((s) => s.status === 'committed' || s.status === 'revealed')
    .map((s) => s.account);
  const reveals = states
    .filter((s) => s.status === 'revealed')
    .map((s) => ({ participant: s.account, digest: s.resultDigest }));
  const payouts = states
    .filter((s) => s.payout > 0n)
    .map((s) => ({ account: s.account, amount: s.payout.toString() }));
  const p = task.params;
  return {
    id: task.id.toString(),
    kind: p.kind,
    kindName: kinds.has(p.kind) ? kinds.get(p.kind).name : null,
    specDigest: p.specDigest,
    pool: p.pool,
    creator: task.creator,
    state: taskPhase(task, now),
    baseReward: p.baseReward.toString(),
    growthBps: p.growthBps,
    maxParticipants: p.maxParticipants,
    quorum: p.quorum,
    bond: p.bond.toString(),
    commitDeadline: Number(p.commitDeadline),
    revealDeadline: Number(p.revealDeadline),
    committee,
    commits,
    reveals,
    winner: task.status === 'finalized' ? (task.winner as Hex) : null,
    payouts,
  };
}
