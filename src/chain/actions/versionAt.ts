import { modelRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import type { ModelVersion } from './latestVersion.ts';

/** Parameters of {@link versionAt}. */
export type VersionAtParameters = { modelId: bigint; index: bigint };

/** Reads version `index` of a model (reverts `ModelVersionNotFound` past the newest). */
export async function versionAt(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: VersionAtParameters,
): Promise<ModelVersion> {
  const version = await ctx.publicClient.readContract({
    address: ctx.addresses.modelRegistry,
    abi: modelRegistryAbi,
    functionName: 'versionAt',
    args: [params.modelId, params.index],
  });
  return { index: params.index, digest: version.digest, taskId: version.taskId };
}
