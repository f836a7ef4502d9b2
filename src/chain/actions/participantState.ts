import type { Address, Hex } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Where a committee member stands in a task, by TaskMarket's `ParticipantStatus` enum order. */
export const PARTICIPANT_STATUS = ['none', 'member', 'committed', 'revealed'] as const;
/** One of {@link PARTICIPANT_STATUS}. */
export type ParticipantStatus = (typeof PARTICIPANT_STATUS)[number];

/** Parameters of {@link participantState}. */
export type ParticipantStateParameters = {
  taskId: bigint;
  account: Address;
  /** Read at this block (default: the latest). */
  blockNumber?: bigint;
};
/** A committee member's record in one task (all zero for an account outside the committee). */
export type ParticipantStateReturnType = {
  status: ParticipantStatus;
  claimed: boolean;
  /** The member's active stake when the committee was drawn (its voting weight). */
  stake: bigint;
  commitment: Hex;
  /** The revealed result digest (zero before the reveal). */
  resultDigest: Hex;
  /** What the member was paid or is owed at finalization. */
  payout: bigint;
  /** Stake taken from the member for a losing or missing reveal. */
  slashed: bigint;
};

/** Reads an account's participant record in a task. */
export async function participantState(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: ParticipantStateParameters,
): Promise<ParticipantStateReturnType> {
  const p = await ctx.publicClient.readContract({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'participantState',
    args: [params.taskId, params.account],
    ...(params.blockNumber === undefined ? {} : { blockNumber: params.blockNumber }),
  });
  return { ...p, status: PARTICIPANT_STATUS[p.status] ?? 'none' };
}
