import { type Address, isAddressEqual } from 'viem';
import { getTask } from '../../chain/actions/getTask.ts';
import { type ParticipantStateReturnType, participantState } from '../../chain/actions/participantState.ts';
import { unlockedStakeOf } from '../../chain/actions/unlockedStakeOf.ts';
import type { ConcordContext } from '../../chain/context.ts';
import { ChainRevertError } from '../../chain/errors.ts';
import type { Task } from '../../chain/taskTypes.ts';
import type { TaskSnapshot } from './nextStep.ts';

/**
 * A task's chain record, this node's participant record in it, and the
 * snapshot `nextStep` acts on (all at the latest block), plus the snapshot at
 * the confirmed height that decides what the journal records and when the
 * task is done.
 */
export type TaskReading = {
  task: Task;
  me: ParticipantStateReturnType;
  snapshot: TaskSnapshot;
  confirmed: TaskSnapshot;
};

/**
 * Reads what `nextStep` needs about `taskId` from `me`'s point of view: at
 * the latest block, and at `confirmedBlock` (omitted: the latest counts as
 * confirmed, i.e. no confirmation depth).
 */
export async function readTaskSnapshot(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  taskId: bigint,
  me: Address,
  confirmedBlock?: bigint,
): Promise<TaskReading> {
  const [task, participant, old] = await Promise.all([
    getTask(ctx, { taskId }),
    participantState(ctx, { taskId, account: me }),
    confirmedBlock === undefined ? undefined : readAt(ctx, taskId, me, confirmedBlock),
  ]);
  // Only a member about to commit needs its unlocked stake (a read saved in every other phase).
  const unlockedStake = participant.status === 'member' ? await unlockedStakeOf(ctx, { account: me }) : 0n;
  const snapshot = toSnapshot(task, participant, unlockedStake, me);
  const confirmed =
    confirmedBlock === undefined
      ? snapshot
      : old
        ? toSnapshot(old.task, old.participant, unlockedStake, me)
        : unconfirmedCreation(snapshot);
  return { task, me: participant, snapshot, confirmed };
}

/** The task and participant records at `blockNumber`; undefined if the task did not exist yet. */
async function readAt(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  taskId: bigint,
  me: Address,
  blockNumber: bigint,
): Promise<{ task: Task; participant: ParticipantStateReturnType } | undefined> {
  try {
    const [task, participant] = await Promise.all([
      getTask(ctx, { taskId, blockNumber }),
      participantState(ctx, { taskId, account: me, blockNumber }),
    ]);
    return { task, participant };
  } catch (err) {
    if (err instanceof ChainRevertError && err.errorName === 'TaskNotFound') return undefined;
    throw err;
  }
}

/** The confirmed view of a task whose creation is not confirmed yet: nothing drawn, nothing done. */
function unconfirmedCreation(latest: TaskSnapshot): TaskSnapshot {
  return {
    ...latest,
    status: 'open',
    committeeDrawn: false,
    committeeLength: 0,
    committed: 0,
    revealed: 0,
    me: { status: 'none', claimed: false, payout: 0n },
    creator: { ...latest.creator, refundClaimable: false },
  };
}

function toSnapshot(
  task: Task,
  participant: ParticipantStateReturnType,
  unlockedStake: bigint,
  me: Address,
): TaskSnapshot {
  const isCreator = isAddressEqual(task.creator, me);
  const settled = task.status === 'finalized' || task.status === 'failed';
  return {
    status: settled ? (task.status as 'finalized' | 'failed') : 'open',
    committeeDrawn: task.committeeDrawn,
    committeeLength: task.committeeLength,
    committed: task.committed,
    revealed: task.revealed,
    commitDeadline: Number(task.params.commitDeadline),
    revealDeadline: Number(task.params.revealDeadline),
    terms: {
      baseReward: task.params.baseReward,
      bond: task.params.bond,
      stakeSlash: task.params.stakeSlash,
      quorum: task.params.quorum,
      committeeLength: task.committeeLength,
      unlockedStake,
    },
    me: { status: participant.status, claimed: participant.claimed, payout: participant.payout },
    creator: {
      isMe: isCreator,
      refundClaimable: isCreator && settled && !task.creatorClaimed && task.creatorRefund > 0n,
    },
  };
}
