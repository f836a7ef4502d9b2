import type { Address } from 'viem';
import { getModel } from '../chain/actions/getModel.ts';
import { latestVersion, type ModelVersion } from '../chain/actions/latestVersion.ts';
import { modelCount } from '../chain/actions/modelCount.ts';
import { versionAt } from '../chain/actions/versionAt.ts';
import type { ConcordContext } from '../chain/context.ts';

/** A registry model with every version, oldest first (amounts as read from the chain). */
export type RegistryModel = { modelId: bigint; name: string; owner: Address; versions: ModelVersion[] };

/**
 * A reader of every model in ModelRegistry with all its versions, newest
 * model first. Names, owners and versions never change once written, so it
 * keeps them and reads only the model count and each model's newest version
 * index again on every call.
 */
export function createModelVersionsReader(
  chain: Pick<ConcordContext, 'publicClient' | 'addresses'>,
): () => Promise<RegistryModel[]> {
  const models = new Map<bigint, { name: string; owner: Address; versions: ModelVersion[] }>();
  const readModel = async (modelId: bigint): Promise<RegistryModel> => {
    let known = models.get(modelId);
    if (!known) {
      known = { ...(await getModel(chain, { modelId })), versions: [] };
      models.set(modelId, known);
    }
    const newest = await latestVersion(chain, { modelId });
    const missing: bigint[] = [];
    for (let i = BigInt(known.versions.length); i < newest.index; i++) missing.push(i);
    const read = await Promise.all(missing.map((index) => versionAt(chain, { modelId, index })));
    // Placed by index, so concurrent calls that read overlapping versions agree.
    const versions = [...known.versions];
    for (const v of [...read, newest]) versions[Number(v.index)] = v;
    known.versions = versions;
    return { modelId, name: known.name, owner: known.owner, versions: known.versions };
  };
  return async () => {
    const count = await modelCount(chain);
    const ids: bigint[] = [];
    for (let id = count; id >= 1n; id--) ids.push(id);
    return await Promise.all(ids.map(readModel));
  };
}
