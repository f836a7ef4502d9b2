import { type Address, isAddressEqual } from 'viem';
import { getTask } from '../../chain/actions/getTask.ts';
import { type ParticipantStateReturnType, participantState } from '../../chain/actions/participantState.ts';
import { unlockedStakeOf } from '../../chain/actions/unlockedStakeOf.ts';
import type { ConcordContext } from '../../chain/context.ts';
import type { Task } from '../../chain/taskTypes.ts';
import type { TaskSnapshot } from './nextStep.ts';

/** A task's chain record, this node's participant record in it, and the snapshot `nextStep` decides on. */
export type TaskReading = { task: Task; me: ParticipantStateReturnType; snapshot: TaskSnapshot };

/** Reads what `nextStep` needs about `taskId` from `me`'s point of view. */
export async function readTaskSnapshot(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  taskId: bigint,
  me: Address,
): Promise<TaskReading> {
  const [task, participant] = await Promise.all([
    getTask(ctx, { taskId }),
    participantState(ctx, { taskId, account: me }),
  ]);
  // Only a member about to commit needs its unlocked stake (a read saved in every other phase).
  const unlockedStake = participant.status === 'member' ? await unlockedStakeOf(ctx, { account: me }) : 0n;
  const isCreator = isAddressEqual(task.creator, me);
  const settled = task.status === 'finalized' || task.status === 'failed';
  return {
    task,
    me: participant,
    snapshot: {
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
    },
  };
}
