import type { Address } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Parameters of {@link committeeOf}. */
export type CommitteeOfParameters = { taskId: bigint };
/** The committee in draw order (empty before the draw). */
export type CommitteeOfReturnType = Address[];

/** Reads a task's committee. */
export async function committeeOf(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: CommitteeOfParameters,
): Promise<CommitteeOfReturnType> {
  const members = await ctx.publicClient.readContract({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'committeeOf',
    args: [params.taskId],
  });
  return [...members];
}
