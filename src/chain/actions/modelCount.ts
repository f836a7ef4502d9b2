import { modelRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Reads how many models ModelRegistry holds; their ids run from 1 to the count. */
export async function modelCount(ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>): Promise<bigint> {
  return await ctx.publicClient.readContract({
    address: ctx.addresses.modelRegistry,
    abi: modelRegistryAbi,
    functionName: 'modelCount',
  });
}
