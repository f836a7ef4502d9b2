import type { TaskState } from '../../store/journal.ts';
import { DEFAULT_TASK_POLICY, refusalOf, type TaskPolicy, type TaskTerms } from './taskPolicy.ts';

/** What the chain says about one task, from this node's point of view (times in unix seconds). */
export type TaskSnapshot = {
  status: 'open' | 'finalized' | 'failed';
  committeeDrawn: boolean;
  committeeLength: number;
  committed: number;
  revealed: number;
  commitDeadline: number;
  revealDeadline: number;
  /** What the task asks of a member: bond, stake slash, base reward, and this node's stake not locked yet. */
  terms: Omit<TaskTerms, 'commitDeadline' | 'revealDeadline'>;
  /** This node's participant record. */
  me: { status: 'none' | 'member' | 'committed' | 'revealed'; claimed: boolean; payout: bigint };
  /** Whether this node created the task, and whether it still has a refund to claim. */
  creator: { isMe: boolean; refundClaimable: boolean };
};

/** Where this node's journal stands with the task (`'new'` = no record yet). */
export type LocalTaskState = TaskState | 'new';

/** The one thing the worker should do next for a task. */
export type NextStep =
  /** Draw the committee (anyone may, from the block after creation). */
  | { step: 'draw' }
  /** Fetch inputs, run the kind, store the result and journal the salt (then commit). */
  | { step: 'compute' }
  /** Send the commitment for the journaled result and salt. */
  | { step: 'commit' }
  | { step: 'reveal' }
  | { step: 'finalize' }
  | { step: 'claim' }
  /**
   * Move the journal to `to`: to catch up with the chain after a crash
   * between sending a transaction and recording it (`committed`, `revealed`,
   * `claimed`: the transaction is looked up), or to settle it.
   */
  | { step: 'record'; to: TaskState; reason: string }
  /** Nothing to do before `until` (unix seconds), or until the chain changes. */
  | { step: 'wait'; until?: number }
  /** The task needs nothing more from this node. */
  | { step: 'done'; reason: string };

/**
 * Decides the worker's next step for a task from the chain's state, the
 * journal's state and the time. Pure, so the whole protocol walk (and every
 * crash-recovery case) is tested without a chain; the worker executes the
 * step and asks again. The chain is the judge: a step that races (another
 * node finalized first) fails harmlessly and the next snapshot moves on.
 * A member computes only a task whose terms `policy` accepts (`refusalOf`).
 */
export function nextStep(
  task: TaskSnapshot,
  local: LocalTaskState,
  now: number,
  policy: TaskPolicy = DEFAULT_TASK_POLICY,
): NextStep {
  const { me } = task;
  if (local === 'claimed' || local === 'failed') return { step: 'done', reason: `journal says ${local}` };
  const behind = journalBehind(task, local);
  if (behind) return behind;
  if (task.status !== 'open') return settledStep(task, local);

  const revealOpen =
    now >= task.commitDeadline || (task.committeeDrawn && task.committed === task.committeeLength);
  const finalizable = now >= task.revealDeadline || (revealOpen && task.revealed === task.committed);
  const waitOrFinalize: NextStep = finalizable
    ? { step: 'finalize' }
    : { step: 'wait', until: task.revealDeadline };

  if (!task.committeeDrawn) {
    if (now < task.commitDeadline) return { step: 'draw' };
    return task.creator.isMe ? waitOrFinalize : { step: 'done', reason: 'committee never drawn' };
  }
  if (me.status === 'member') {
    if (local !== 'new' && local !== 'computed')
      return { step: 'done', reason: 'journal ahead of the chain' };
    if (now < task.commitDeadline && local === 'computed') return { step: 'commit' };
    if (now < task.commitDeadline) {
      const refusal = refusalOf(
        { ...task.terms, commitDeadline: task.commitDeadline, revealDeadline: task.revealDeadline },
        policy,
        now,
      );
      if (refusal === undefined) return { step: 'compute' };
      return task.creator.isMe ? waitOrFinalize : { step: 'done', reason: `refused: ${refusal}` };
    }
    if (local === 'computed') return { step: 'record', to: 'failed', reason: 'commit deadline passed' };
    return task.creator.isMe ? waitOrFinalize : { step: 'done', reason: 'commit deadline passed' };
  }
  if (me.status === 'committed' && now < task.revealDeadline) {
    return revealOpen ? { step: 'reveal' } : { step: 'wait', until: task.commitDeadline };
  }
  if (me.status === 'none' && !task.creator.isMe) return { step: 'done', reason: 'not in the committee' };
  return waitOrFinalize;
}

/** The chain shows a commit or reveal the journal has not recorded yet. */
function journalBehind(task: TaskSnapshot, local: LocalTaskState): NextStep | undefined {
  const onChain = task.me.status;
  if (local === 'computed' && (onChain === 'committed' || onChain === 'revealed')) {
    return { step: 'record', to: 'committed', reason: 'commit sent before a crash' };
  }
  if (local === 'committed' && onChain === 'revealed') {
    return { step: 'record', to: 'revealed', reason: 'reveal sent before a crash' };
  }
  return undefined;
}

function settledStep(task: TaskSnapshot, local: LocalTaskState): NextStep {
  const { me } = task;
  if (local === 'revealed') return { step: 'record', to: 'finalized', reason: `task ${task.status}` };
  if ((!me.claimed && me.payout > 0n) || task.creator.refundClaimable) return { step: 'claim' };
  if (local === 'finalized') {
    return me.claimed
      ? { step: 'record', to: 'claimed', reason: 'claim sent before a crash' }
      : { step: 'record', to: 'failed', reason: task.status === 'failed' ? 'task failed' : 'outvoted' };
  }
  if (local === 'computed' || local === 'committed') {
    return { step: 'record', to: 'failed', reason: 'task settled without our reveal' };
  }
  return { step: 'done', reason: `task ${task.status}` };
}
