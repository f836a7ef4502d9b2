import type { Hex } from 'viem';
import { publishVersion } from '../../chain/actions/publishVersion.ts';
import type { NodeClient } from '../../client/nodeClient.ts';
import { resolveNode } from '../../client/target.ts';
import { type Command, UsageError } from '../command.ts';
import { resolveSigner, signerOptions, signerUsage } from './creditsSigner.ts';
import { hex32Flag, modelIdFlag, requireModel } from './modelFlags.ts';
import { targetFlags } from './taskTarget.ts';

/** `concord model publish`: publishes a finalized aggregate task's result as a model's next version. */
export const modelPublishCommand: Command = {
  path: ['model', 'publish'],
  summary: "publish a round's aggregate result as a model's next version (the owner only)",
  usage: [
    'Usage: concord model publish --model ID (--task T | --digest D) [--key FILE] [--node URL]',
    '                             [--dir D | --chain URL --contracts FILE] [--json]',
    '',
    "ModelRegistry publishes the winner of a finalized `aggregate` task of a pool the model's",
    'owner owns, whose inputs are exactly the pool’s winners (what `concord train` creates),',
    'as the next version; the key must be the owner’s. With --digest D the node finds the',
    'finalized aggregate task whose winner is D; with both, the task’s winner must be D.',
    '',
    'Options:',
    '  --model ID          the model id',
    '  --task T            the aggregate task id',
    '  --digest D          the version digest to publish (the aggregate task’s winner)',
    '  --node URL          the node that looks up the task (default: node 0 of the devnet in --dir)',
    ...signerUsage,
  ].join('\n'),
  options: {
    ...signerOptions,
    model: { type: 'string' },
    task: { type: 'string' },
    digest: { type: 'string' },
  },
  async run({ values, stdout }) {
    const modelId = modelIdFlag('model publish', values);
    const digest = hex32Flag(values, 'digest');
    const task = values.task;
    if (task !== undefined && (typeof task !== 'string' || !/^[1-9][0-9]{0,30}$/.test(task))) {
      throw new UsageError(`--task takes a task id above 0, not '${String(task)}'.`);
    }
    if (task === undefined && digest === undefined) {
      throw new UsageError('concord model publish needs --task T or --digest D.', {
        hint: '`concord train` prints the aggregate task and digest of each round.',
      });
    }
    const node = resolveNode(targetFlags(values));
    const taskId = task ?? (await aggregateTaskOf(node, digest as Hex));
    if (task !== undefined && digest !== undefined) {
      const winner = (await node.task(task)).winner;
      if (winner?.toLowerCase() !== digest) {
        throw new UsageError(`Task ${task}'s result is ${winner ?? 'none'}, not ${digest}.`);
      }
    }
    const owner = await resolveSigner(values);
    await requireModel(owner, modelId);
    const published = await publishVersion(owner, { modelId, aggregateTaskId: BigInt(taskId) });
    const result = {
      modelId: modelId.toString(),
      version: published.index.toString(),
      digest: published.digest,
      task: taskId,
      tx: published.receipt.transactionHash,
    };
    stdout(
      values.json
        ? JSON.stringify(result)
        : `model ${modelId} version ${result.version} published: ${result.digest} (task ${taskId}, tx ${result.tx})`,
    );
    return 0;
  },
};

/** The newest finalized `aggregate` task whose winner is `digest`, paging through the node's task list. */
async function aggregateTaskOf(node: NodeClient, digest: Hex): Promise<string> {
  let before: string | undefined;
  do {
    const page = await node.tasks({ kind: 'aggregate', state: 'finalized', limit: 100, before });
    const found = page.tasks.find((t) => t.winner?.toLowerCase() === digest);
    if (found) return found.id;
    before = page.next ?? undefined;
  } while (before !== undefined);
  throw new UsageError(`No finalized aggregate task has the result ${digest}.`, {
    hint: 'Pass the aggregate task id with --task T.',
  });
}
