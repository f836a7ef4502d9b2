import type { Address, Hex } from 'viem';
import { nodeRegistryAbi, taskMarketAbi } from '../../generated/contracts/index.ts';
import type { ConcordContext } from '../chain/context.ts';

/**
 * Reads the node needs that chain/ has no binding for yet (requested in
 * docs/node-requests.md); delete each when its binding lands.
 */

type ReadContext = Pick<ConcordContext, 'publicClient' | 'addresses'>;

/** Where a committee member stands in a task (TaskMarket's `ParticipantStatus`, as text). */
export const PARTICIPANT_STATUS = ['none', 'member', 'committed', 'revealed'] as const;

/** A committee member's record in one task. */
export type ParticipantState = {
  status: (typeof PARTICIPANT_STATUS)[number];
  claimed: boolean;
  stake: bigint;
  commitment: Hex;
  resultDigest: Hex;
  payout: bigint;
  slashed: bigint;
};

/** Reads `account`'s participant record in `taskId`. */
export async function readParticipantState(
  ctx: ReadContext,
  params: { taskId: bigint; account: Address },
): Promise<ParticipantState> {
  const p = await ctx.publicClient.readContract({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'participantState',
    args: [params.taskId, params.account],
  });
  return { ...p, status: PARTICIPANT_STATUS[p.status] ?? 'none' };
}

/** Reads the winning result digests of a pool's finalized tasks, in creation order. */
export async function readPoolWinners(ctx: ReadContext, params: { pool: Hex }): Promise<Hex[]> {
  const winners = await ctx.publicClient.readContract({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'poolWinners',
    args: [params.pool],
  });
  return [...winners];
}

/** Reads the task ids of a pool, in creation order. */
export async function readPoolTasks(ctx: ReadContext, params: { pool: Hex }): Promise<bigint[]> {
  const ids = await ctx.publicClient.readContract({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'poolTasks',
    args: [params.pool],
  });
  return [...ids];
}

/** Reads the number of tasks ever created (ids run 1..count). */
export async function readTaskCount(ctx: ReadContext): Promise<bigint> {
  return await ctx.publicClient.readContract({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'taskCount',
  });
}

/** Reads the registry's minimum active stake of a node. */
export async function readMinStake(ctx: ReadContext): Promise<bigint> {
  return await ctx.publicClient.readContract({
    address: ctx.addresses.registry,
    abi: nodeRegistryAbi,
    functionName: 'minStake',
  });
}
