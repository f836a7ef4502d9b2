import { getModel } from '../../chain/actions/getModel.ts';
import { latestVersion } from '../../chain/actions/latestVersion.ts';
import { versionAt } from '../../chain/actions/versionAt.ts';
import { formatTable } from '../../client/format.ts';
import type { ModelListEntry } from '../../client/nodeClient.ts';
import { resolveChainReader, resolveNode } from '../../client/target.ts';
import type { Command } from '../command.ts';
import { modelIdFlag, requireModel } from './modelFlags.ts';
import { targetFlags, targetOptions, targetUsage } from './taskTarget.ts';

/** `concord model versions --model ID`: a registered model's versions, and which one a node serves. */
export const modelVersionsCommand: Command = {
  path: ['model', 'versions'],
  summary: "list a registered model's versions (index, digest, task), and a node's serving state",
  usage: [
    'Usage: concord model versions --model ID [--node URL] [--dir D | --chain URL --contracts FILE] [--json]',
    '',
    'Lists every version of the model in ModelRegistry, oldest first: its index, digest and',
    'the aggregate task that produced it (0 for version 0). With --node, the `served` column',
    'says how far that node got serving it (`loading`, `ready` or `failed`; `-` for a version',
    'it does not serve: a node serves the latest version of the newest model).',
    '',
    'Options:',
    '  --model ID          the model id',
    ...targetUsage,
  ].join('\n'),
  options: { ...targetOptions, model: { type: 'string' } },
  async run({ values, stdout }) {
    const modelId = modelIdFlag('model versions', values);
    const flags = targetFlags(values);
    const reader = await resolveChainReader(flags);
    await requireModel(reader, modelId);
    const [model, latest] = await Promise.all([
      getModel(reader, { modelId }),
      latestVersion(reader, { modelId }),
    ]);
    const versions = await Promise.all(
      Array.from({ length: Number(latest.index) + 1 }, (_, i) =>
        versionAt(reader, { modelId, index: BigInt(i) }),
      ),
    );
    const served: ModelListEntry[] = flags.node === undefined ? [] : await resolveNode(flags).models();
    const servedState = (index: bigint): string | null =>
      served.find(
        (m) => m.concord.modelId === modelId.toString() && m.concord.versionIndex === index.toString(),
      )?.concord.state ?? null;
    const rows = versions.map((v) => ({
      index: v.index.toString(),
      digest: v.digest,
      task: v.taskId.toString(),
      ...(flags.node === undefined ? {} : { served: servedState(v.index) }),
    }));
    if (values.json) {
      stdout(
        JSON.stringify({ modelId: modelId.toString(), name: model.name, owner: model.owner, versions: rows }),
      );
      return 0;
    }
    stdout(`model ${modelId} '${model.name}' owned by ${model.owner}: ${versions.length} version(s)`);
    const header = ['version', 'digest', 'task', ...(flags.node === undefined ? [] : ['served'])];
    const cells = rows.map((r) => [r.index, r.digest, r.task, ...('served' in r ? [r.served ?? '-'] : [])]);
    for (const line of formatTable(header, cells)) stdout(line);
    const troubled = served.find((m) => m.concord.modelId === modelId.toString() && m.concord.error);
    if (troubled?.concord.error) stdout(`served: ${troubled.concord.state}: ${troubled.concord.error}`);
    return 0;
  },
};
