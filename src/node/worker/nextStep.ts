import { TASK_PROGRESS, TASK_TRANSITIONS, type TaskState } from '../../store/journal.ts';
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

/**
 * What the journal holds for the task: `'new'` (nothing), or the state it
 * last recorded — every state but `'new'` holds the result digest and salt
 * a commit and a reveal need.
 */
export type LocalTaskState = TaskState | 'new';

/** The one thing the worker should do next for a task. */
export type NextStep =
  /** Draw the committee (anyone may, from the block after creation). */
  | { step: 'draw' }
  /** Fetch inputs, run the kind, store the result and journal the salt (then commit). */
  | { step: 'compute' }
  /** Send the commitment for the journaled result and salt (again, if a reorg dropped it). */
  | { step: 'commit' }
  | { step: 'reveal' }
  | { step: 'finalize' }
  | { step: 'claim' }
  /**
   * Move the journal to `to`, the state the chain shows at the confirmed
   * height: one state forward (the transaction is found from the chain
   * when the node crashed before recording it), or back after a reorg
   * dropped what the journal recorded (`reason` starts with "reorg:").
   */
  | { step: 'record'; to: TaskState; reason: string }
  /**
   * Nothing to do before `until` (unix seconds), or until the chain changes;
   * `confirming`: nothing left at the latest block, but not yet at the
   * confirmed height — look again when a new block arrives.
   */
  | { step: 'wait'; until?: number; confirming?: true }
  /** The chain at the confirmed height needs nothing more from this node. */
  | { step: 'done'; reason: string };

/** What `nextStep` decides with besides the latest snapshot. */
export type NextStepOptions = {
  /** The terms on which the node takes tasks (default `DEFAULT_TASK_POLICY`). */
  policy?: TaskPolicy | undefined;
  /** The task at the confirmed height (default: the latest snapshot, i.e. no confirmation depth). */
  confirmed?: TaskSnapshot | undefined;
};

/**
 * Decides the worker's next step for a task. The chain is the judge: what to
 * send is decided from the latest snapshot and what the journal holds (a
 * result and salt to commit and reveal), never from the journal's state, so a
 * commit, reveal, finalize or claim a reorg dropped is sent again while its
 * window is open. The journal is first moved to mirror the chain at the
 * confirmed height (`record`, forward or back), and a task is `done` only
 * when the confirmed height also shows nothing left for this node (its payout
 * claimed and, as creator, the task finalized and its refund claimed). Pure,
 * so every protocol, crash and reorg case is tested as a table; a step that
 * races (another node finalized first) fails harmlessly and the next
 * snapshot moves on. A member computes only a task whose terms the policy
 * accepts (`refusalOf`).
 */
export function nextStep(
  task: TaskSnapshot,
  local: LocalTaskState,
  now: number,
  options: NextStepOptions = {},
): NextStep {
  const confirmed = options.confirmed ?? task;
  const policy = options.policy ?? DEFAULT_TASK_POLICY;
  const record = journalStep(confirmed, task, local, now);
  if (record) return record;
  const step = actStep(task, local, now, policy);
  if (step.step !== 'done') return step;
  return actStep(confirmed, local, now, policy).step === 'done' ? step : { step: 'wait', confirming: true };
}

/** What a transition to each state confirms, for the record's reason. */
const ACTION: Record<TaskState, string> = {
  computed: 'compute',
  committed: 'commit',
  revealed: 'reveal',
  finalized: 'finalize',
  claimed: 'claim',
  failed: 'settlement',
};

/** The journal move that makes it mirror `confirmed`, if it does not already. */
function journalStep(
  confirmed: TaskSnapshot,
  latest: TaskSnapshot,
  local: LocalTaskState,
  now: number,
): NextStep | undefined {
  if (local === 'new') return undefined;
  const target = chainState(confirmed, latest, now);
  if (target.state === local) return undefined;
  if (TASK_TRANSITIONS[local].includes(target.state))
    return { step: 'record', to: target.state, reason: target.reason };
  const from = TASK_PROGRESS.indexOf(local);
  const to = TASK_PROGRESS.indexOf(target.state);
  if (from >= 0 && to > from) {
    const next = TASK_PROGRESS[from + 1]!;
    return { step: 'record', to: next, reason: `${ACTION[next]} confirmed` };
  }
  // The chain is behind the journal: a reorg dropped what the journal recorded.
  const dropped =
    from >= 0 ? TASK_PROGRESS.slice(Math.max(to, 0) + 1, from + 1).map((s) => ACTION[s]) : [ACTION[local]];
  return { step: 'record', to: target.state, reason: `reorg: ${dropped.join(', ')} dropped` };
}

/**
 * The journal state `confirmed` shows for a node holding a result. A computed
 * result whose commit deadline passed fails only if the latest block also
 * shows no commit (one may be on its way to the confirmed height).
 */
function chainState(
  confirmed: TaskSnapshot,
  latest: TaskSnapshot,
  now: number,
): { state: TaskState; reason: string } {
  const { me } = confirmed;
  if (confirmed.status === 'open') {
    if (me.status === 'committed') return { state: 'committed', reason: 'commit confirmed' };
    if (me.status === 'revealed') return { state: 'revealed', reason: 'reveal confirmed' };
    const uncommitted = latest.me.status === 'member' || latest.me.status === 'none';
    if (now >= confirmed.commitDeadline && uncommitted)
      return { state: 'failed', reason: 'commit deadline passed' };
    return { state: 'computed', reason: 'commit dropped' };
  }
  if (me.status !== 'revealed') {
    const without = me.status === 'committed' ? 'our reveal' : 'our commit';
    return { state: 'failed', reason: `task settled without ${without}` };
  }
  if (me.claimed) return { state: 'claimed', reason: 'claim confirmed' };
  if (me.payout > 0n) return { state: 'finalized', reason: `task ${confirmed.status}` };
  return { state: 'failed', reason: confirmed.status === 'failed' ? 'task failed' : 'outvoted' };
}

/** What to send (or wait for) by the chain at `task`, with `local` saying whether a result is journaled. */
function actStep(task: TaskSnapshot, local: LocalTaskState, now: number, policy: TaskPolicy): NextStep {
  const { me } = task;
  if (task.status !== 'open') {
    if ((!me.claimed && me.payout > 0n) || task.creator.refundClaimable) return { step: 'claim' };
    return { step: 'done', reason: `task ${task.status}` };
  }
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
  const holdsResult = local !== 'new';
  if (me.status === 'member') {
    if (now < task.commitDeadline && holdsResult) return { step: 'commit' };
    if (now < task.commitDeadline) {
      const refusal = refusalOf(
        { ...task.terms, commitDeadline: task.commitDeadline, revealDeadline: task.revealDeadline },
        policy,
        now,
      );
      if (refusal === undefined) return { step: 'compute' };
      return task.creator.isMe ? waitOrFinalize : { step: 'done', reason: `refused: ${refusal}` };
    }
    return task.creator.isMe ? waitOrFinalize : { step: 'done', reason: 'commit deadline passed' };
  }
  if (me.status === 'committed' && now < task.revealDeadline && holdsResult) {
    return revealOpen ? { step: 'reveal' } : { step: 'wait', until: task.commitDeadline };
  }
  if (me.status === 'none' && !task.creator.isMe) return { step: 'done', reason: 'not in the committee' };
  return waitOrFinalize;
}
