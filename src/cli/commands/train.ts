import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { activeNodes } from '../../chain/actions/activeNodes.ts';
import { latestVersion } from '../../chain/actions/latestVersion.ts';
import { versionAt } from '../../chain/actions/versionAt.ts';
import { type ProgressSink, SILENT_SINK } from '../../client/progressBar.ts';
import { resolveNode } from '../../client/target.ts';
import { DEFAULT_TRAIN_LR, trainingRecipe } from '../../client/training/recipe.ts';
import { readTextData, textShards } from '../../client/training/textData.ts';
import { trainModel } from '../../client/training/trainModel.ts';
import { trainStatePath } from '../../client/training/trainState.ts';
import { BaseError } from '../../core/errors.ts';
import { modelDigest } from '../../model/pieces/digest.ts';
import { checkpointOpening } from '../../tasks/checkpointPieces.ts';
import type { ShardBlob } from '../../tasks/shardBlob.ts';
import { type Command, integerFlag, UsageError } from '../command.ts';
import { readCheckpointFile } from './checkpointFile.ts';
import { resolveSigner, signerOptions, signerUsage } from './creditsSigner.ts';
import { modelIdFlag, requireModel } from './modelFlags.ts';
import { targetFlags } from './taskTarget.ts';

/** Most gradient tasks of one round. */
const MAX_TASKS = 64;

/** `concord train`: the network's training coordinator, round after round, resumable. */
export const trainCommand: Command = {
  path: ['train'],
  summary:
    'train a model through the network: gradient tasks, an AdamW aggregate and a new version per round',
  usage: [
    'Usage: concord train --model ID --checkpoint FILE --data FILE|DIR [--rounds N] [--tasks K]',
    '                     [--participants P] [--lr LR] [--state FILE] [--key FILE]',
    '                     [--node URL --token-file FILE] [--dir D | --chain URL --contracts FILE] [--json]',
    '',
    'Each round: cuts the data (a text file, or every file of DIR) into K shards encoded with',
    'the model’s tokenizer, stores them on the node, creates K `gradient` tasks on the latest',
    'version in a pool of the owner’s (the node creates and pays for them), then one `aggregate`',
    'task taking an AdamW step along the mean of the winning gradients, and publishes its result',
    'as the next version; a progress bar per stage. The key must be the model owner’s.',
    'The tokenizer comes from FILE, a checkpoint of the model (the file given to',
    '`concord model create`, or any version of it): its digest must be one of the model’s.',
    '',
    'The state (round, pool, created tasks) is kept in --state: Ctrl-C and the same command',
    'again resume the unfinished round, re-attaching to its tasks instead of paying twice,',
    'and go on until N rounds are done in all.',
    '',
    'Options:',
    '  --model ID          the model id (`concord model create` prints it)',
    '  --checkpoint FILE   a checkpoint of the model, for its tokenizer and context length',
    '  --data FILE|DIR     the training text',
    '  --rounds N          rounds to train in all, counting those a previous run finished (default 1)',
    '  --tasks K           gradient tasks (data shards) per round (default: active nodes, at most 4)',
    '  --participants P    committee of each task (default: active nodes, at most 3; quorum 2)',
    `  --lr LR             AdamW learning rate (default ${DEFAULT_TRAIN_LR})`,
    '  --state FILE        state file (default <data dir>/.concord/train-<ID>.json)',
    '  --node URL          the node that stores the data and creates the tasks (default: devnet node 0)',
    '  --token-file FILE   that node’s API token (a devnet’s is found by itself)',
    ...signerUsage,
  ].join('\n'),
  options: {
    ...signerOptions,
    model: { type: 'string' },
    checkpoint: { type: 'string' },
    data: { type: 'string' },
    rounds: { type: 'string' },
    tasks: { type: 'string' },
    participants: { type: 'string' },
    lr: { type: 'string' },
    state: { type: 'string' },
  },
  async run({ values, stdout, stderr }) {
    const modelId = modelIdFlag('train', values);
    const { checkpoint: checkpointFile, data } = values;
    if (typeof checkpointFile !== 'string' || typeof data !== 'string') {
      throw new UsageError('concord train needs --checkpoint FILE and --data FILE|DIR.', {
        hint: 'Run `concord train --help`.',
      });
    }
    const rounds = integerFlag(values.rounds, '--rounds', 1, 1_000_000) ?? 1;
    const lr = values.lr === undefined ? DEFAULT_TRAIN_LR : Number(values.lr);
    if (!(Number.isFinite(lr) && lr > 0 && lr < 1)) {
      throw new UsageError(`--lr takes a learning rate between 0 and 1, not '${String(values.lr)}'.`);
    }
    const dataDir = dataDirOf(data);
    const checkpoint = readCheckpointFile(checkpointFile);
    const owner = await resolveSigner(values);
    await requireModel(owner, modelId);
    await checkVersionOf(owner, modelId, modelDigest(checkpointOpening(checkpoint.bytes)), checkpointFile);
    const active = (await activeNodes(owner)).length;
    const tasks = integerFlag(values.tasks, '--tasks', 1, MAX_TASKS) ?? Math.max(1, Math.min(active, 4));
    const participants =
      integerFlag(values.participants, '--participants', 1, 256) ?? Math.max(1, Math.min(active, 3));
    const training = trainingRecipe(checkpoint.config, lr);
    const { files, text } = readTextData(data);
    const shards = shardsOf(() => textShards(checkpoint.tokenizer, text, tasks, training.recipe.seqLen));
    const node = resolveNode(targetFlags(values));
    const nodeAccount = (await node.health()).address;
    const stateFile = typeof values.state === 'string' ? values.state : trainStatePath(dataDir, modelId);
    const say = values.json === true ? () => undefined : stdout;
    say(
      `train    model ${modelId}: ${rounds} round(s) of ${tasks} gradient task(s) on ${shards.reduce((n, s) => n + s.tokens, 0)} tokens of ${files.length} file(s); state ${stateFile}`,
    );
    process.once('SIGINT', () => {
      stderr(`stopped; run the same command again to resume (state in ${stateFile})`);
      process.exit(130);
    });
    const { state, results } = await trainModel({
      node,
      nodeAccount,
      owner,
      modelId,
      training,
      shards: () => shards,
      committee: {
        maxParticipants: participants,
        committeeSize: participants,
        quorum: Math.min(2, participants),
      },
      poolLabel: 'concord/train',
      sink: values.json === true ? SILENT_SINK : terminal,
      rounds,
      stateFile,
      say,
    });
    if (values.json) {
      stdout(
        JSON.stringify({
          modelId: modelId.toString(),
          stateFile,
          rounds: state.rounds,
          trained: results.map((r) => ({
            pool: r.pool,
            base: r.base.index.toString(),
            version: r.version.index.toString(),
            digest: r.version.digest,
            gradientTasks: r.trainTasks.map((t) => t.id),
            aggregateTask: r.aggregateTask.id,
            resumed: r.resumed,
          })),
        }),
      );
    } else {
      say(
        `done     ${state.rounds.length} round(s) trained; \`concord model versions --model ${modelId}\` lists them`,
      );
    }
    return 0;
  },
};

/** Progress bars go straight to the terminal (redrawn in place on a TTY). */
const terminal: ProgressSink = {
  isTTY: process.stdout.isTTY === true,
  write: (text) => process.stdout.write(text),
};

/** The directory of the data set (DIR itself, or FILE's); UsageError if it does not exist. */
function dataDirOf(data: string): string {
  try {
    return statSync(data).isDirectory() ? resolve(data) : dirname(resolve(data));
  } catch (cause) {
    throw new UsageError(`Cannot read the data ${data}: ${(cause as Error).message}`);
  }
}

/** The data shards, or a UsageError when the data cannot make them (too short for K shards of a window). */
function shardsOf(cut: () => ShardBlob[]): ShardBlob[] {
  try {
    return cut();
  } catch (cause) {
    if (!(cause instanceof BaseError)) throw cause;
    throw new UsageError(`The data cannot be cut into shards: ${cause.shortMessage}`, { cause });
  }
}

/** UsageError unless `digest` (the checkpoint's) is one of the model's versions. */
async function checkVersionOf(
  owner: Parameters<typeof latestVersion>[0],
  modelId: bigint,
  digest: string,
  file: string,
): Promise<void> {
  const latest = await latestVersion(owner, { modelId });
  for (let i = latest.index; i >= 0n; i--) {
    if ((await versionAt(owner, { modelId, index: i })).digest === digest) return;
  }
  throw new UsageError(`${file} (model digest ${digest}) is no version of model ${modelId}.`, {
    hint: 'Pass the checkpoint the model was created from (`concord model create FILE`).',
  });
}
