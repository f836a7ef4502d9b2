import type { Hex } from 'viem';
import { modelRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Parameters of {@link latestVersion}. */
export type LatestVersionParameters = { modelId: bigint };
/** A model version: its index, content digest and the aggregate task that produced it (0 for the genesis). */
export type ModelVersion = { index: bigint; digest: Hex; taskId: bigint };

/** Reads the newest version of a model (the genesis, index 0, when none was published). */
export async function latestVersion(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: LatestVersionParameters,
): Promise<ModelVersion> {
  const [index, version] = await ctx.publicClient.readContract({
    address: ctx.addresses.modelRegistry,
    abi: modelRegistryAbi,
    functionName: 'latestVersion',
    args: [params.modelId],
  });
  return { index, digest: version.digest, taskId: version.taskId };
}
