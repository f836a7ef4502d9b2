import { nodeRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** The least active stake of a node, in token wei. */
export type MinStakeReturnType = bigint;

/** Reads NodeRegistry's minimum stake, below which a node does not count as active. */
export async function minStake(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
): Promise<MinStakeReturnType> {
  return await ctx.publicClient.readContract({
    address: ctx.addresses.registry,
    abi: nodeRegistryAbi,
    functionName: 'minStake',
  });
}
