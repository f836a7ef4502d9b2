import type { Address } from 'viem';
import { nodeRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Parameters of {@link modelMemoryOf}. */
export type ModelMemoryOfParameters = { account: Address };

/** Reads the model memory cap `account` announced, in bytes (0n = unlimited or never set). */
export async function modelMemoryOf(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: ModelMemoryOfParameters,
): Promise<bigint> {
  return await ctx.publicClient.readContract({
    address: ctx.addresses.registry,
    abi: nodeRegistryAbi,
    functionName: 'modelMemoryOf',
    args: [params.account],
  });
}
