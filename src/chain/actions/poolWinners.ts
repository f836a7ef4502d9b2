import type { Hex } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Parameters of {@link poolWinners}. */
export type PoolWinnersParameters = { pool: Hex };
/** The winning result digests of the pool's finalized tasks, in creation order. */
export type PoolWinnersReturnType = Hex[];

/** Reads the winning result digests of a pool's finalized tasks (the artifacts its winners exchange). */
export async function poolWinners(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: PoolWinnersParameters,
): Promise<PoolWinnersReturnType> {
  const winners = await ctx.publicClient.readContract({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'poolWinners',
    args: [params.pool],
  });
  return [...winners];
}
