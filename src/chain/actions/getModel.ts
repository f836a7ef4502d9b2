import type { Address } from 'viem';
import { modelRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Parameters of {@link getModel}. */
export type GetModelParameters = { modelId: bigint };
/** A model's registry name and owner (its creator, the only publisher of versions). */
export type GetModelReturnType = { name: string; owner: Address };

/** Reads a model's name and owner (reverts `ModelNotFound` for an unknown id). */
export async function getModel(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: GetModelParameters,
): Promise<GetModelReturnType> {
  const [name, owner] = await ctx.publicClient.readContract({
    address: ctx.addresses.modelRegistry,
    abi: modelRegistryAbi,
    functionName: 'getModel',
    args: [params.modelId],
  });
  return { name, owner };
}
