import { type Address, type Hex, parseEther, toHex } from 'viem';
import { isPoolCreator } from '../../chain/actions/isPoolCreator.ts';
import { latestVersion, type ModelVersion } from '../../chain/actions/latestVersion.ts';
import { poolWinners } from '../../chain/actions/poolWinners.ts';
import { publishVersion } from '../../chain/actions/publishVersion.ts';
import { setPoolCreator } from '../../chain/actions/setPoolCreator.ts';
import type { ConcordContext } from '../../chain/context.ts';
import { poolId } from '../../chain/poolId.ts';
import { roundAggregateSpec, roundGradientSpec } from '../../data/networkTraining.ts';
import type { NetworkModelRecipe } from '../../data/recipe.ts';
import type { CreateTaskBody } from '../../node/api/schemas.ts';
import type { TaskView } from '../../node/api/types.ts';
import type { AggregateSpec } from '../../tasks/aggregate.ts';
import { createTaskKindRegistry } from '../../tasks/builtin.ts';
import type { GradientSpec } from '../../tasks/gradient.ts';
import type { ShardBlob } from '../../tasks/shardBlob.ts';
import { encodeTaskSpec } from '../../tasks/spec.ts';
import { TrainingRoundError } from '../errors.ts';
import type { NodeClient } from '../nodeClient.ts';
import { ProgressBar, type ProgressSink } from '../progressBar.ts';
import { followStage } from './stageProgress.ts';

/**
 * How a model is trained through the network: the recipe's batch, window
 * and learning-rate schedule (`gradient` tasks, one AdamW `aggregate` step
 * per round), and the place in that schedule of the round that trains on
 * version `base`.
 */
export type TrainingRecipe = {
  recipe: NetworkModelRecipe;
  roundIndex: (base: bigint) => number;
};

/** Who may work on a round's tasks. */
export type Committee = { maxParticipants: number; quorum: number; committeeSize: number };

/** Rewards and deadlines of a round's tasks (amounts in wei, as decimal strings). */
export type TaskTerms = Pick<
  CreateTaskBody,
  'baseReward' | 'growthBps' | 'bond' | 'stakeSlash' | 'commitSeconds' | 'revealSeconds'
>;

/** The default terms of training tasks: 1 CCD per winner, a 1 CCD bond, 10 CCD stake slash, 5 min windows. */
export const TRAINING_TASK_TERMS: TaskTerms = {
  baseReward: parseEther('1').toString(),
  growthBps: 1000,
  bond: parseEther('1').toString(),
  stakeSlash: parseEther('10').toString(),
  commitSeconds: 300,
  revealSeconds: 300,
};

/** How long past its commit and reveal windows a stage may take to be finalized and claimed. */
const STAGE_MARGIN_MS = 120_000;

/**
 * What a restart needs to re-attach to a round instead of paying for it
 * again: the version it trains on, its pool, and the tasks created so far
 * (ids as decimal strings, in spec order).
 */
export type RoundRecord = {
  base: string;
  baseDigest: Hex;
  pool: Hex;
  gradientTasks: string[];
  aggregateTask: string | null;
};

/** What {@link runTrainingRound} needs. */
export type TrainingRoundOptions = {
  /** The node that stores the inputs and creates the tasks (paying their escrow). */
  node: NodeClient;
  /** That node's account: the owner allows it to add tasks to the owner's pools. */
  nodeAccount: Address;
  /** The model's owner, who owns the round's pool and publishes the version. */
  owner: ConcordContext;
  modelId: bigint;
  training: TrainingRecipe;
  /** The data shards of the round on version `base`, one `gradient` task each. */
  shards: (base: ModelVersion) => ShardBlob[];
  committee: Committee;
  terms?: TaskTerms;
  /** Prefix of the round's pool label (the pool id is the owner's, with a random part). */
  poolLabel: string;
  sink: ProgressSink;
  /** A round left unfinished by an earlier run: re-attached if it trains on the current version. */
  resume?: RoundRecord | null;
  /** Called whenever the round's record changes (pool chosen, a task created), before its next step. */
  onRecord?: (record: RoundRecord) => void;
};

/** The outcome of a round: its pool, the version it trained on and the version it published. */
export type TrainingRoundResult = {
  pool: Hex;
  base: ModelVersion;
  trainTasks: TaskView[];
  aggregateTask: TaskView;
  version: { index: bigint; digest: Hex; txHash: Hex };
  /** Whether the round re-attached to tasks an earlier run created. */
  resumed: boolean;
};

/** The `gradient` task specs of the round on the version with digest `base` and index `baseIndex`. */
export function gradientSpecs(
  training: TrainingRecipe,
  base: Hex,
  baseIndex: bigint,
  shards: readonly ShardBlob[],
): GradientSpec[] {
  const round = training.roundIndex(baseIndex);
  return shards.map((shard, i) => roundGradientSpec(training.recipe, base, shard, round, i));
}

/**
 * The `aggregate` spec of the round on version `base` (index `baseIndex`):
 * the mean of the winning gradients (in task order), applied to the base as
 * one AdamW step at the schedule's rate for the round.
 */
export function aggregateSpec(
  training: TrainingRecipe,
  winners: readonly Hex[],
  base: Hex,
  baseIndex: bigint,
): AggregateSpec {
  return roundAggregateSpec(training.recipe, base, [...winners], [], training.roundIndex(baseIndex));
}

/**
 * One training round through the network: one `gradient` task per data
 * shard in a pool of the owner's (ModelRegistry publishes only rounds of
 * the model's owner), created by `node`, which the owner allows to add
 * tasks to its pools; once they are settled, one `aggregate` task whose
 * inputs are exactly the pool's winners; then the owner publishes its
 * winner as the model's next version. A `resume` record of a round on the
 * current version is re-attached: its pool is reused, and a task already in
 * the pool (recorded, or found there by its spec digest) is followed, not
 * created again. Each stage shows a progress bar on `sink`.
 */
export async function runTrainingRound(options: TrainingRoundOptions): Promise<TrainingRoundResult> {
  const { node, nodeAccount, owner, modelId, training, sink, committee } = options;
  const base = await latestVersion(owner, { modelId });
  const resumed = options.resume?.base === base.index.toString() && options.resume.baseDigest === base.digest;
  const record: RoundRecord = resumed
    ? { ...(options.resume as RoundRecord) }
    : {
        base: base.index.toString(),
        baseDigest: base.digest,
        pool: poolId(
          owner.account.address,
          `${options.poolLabel}/${modelId}/${base.index}/${toHex(crypto.getRandomValues(new Uint8Array(32)))}`,
        ),
        gradientTasks: [],
        aggregateTask: null,
      };
  const save = () => options.onRecord?.({ ...record, gradientTasks: [...record.gradientTasks] });
  save();
  if (!(await isPoolCreator(owner, { owner: owner.account.address, account: nodeAccount }))) {
    await setPoolCreator(owner, { account: nodeAccount, allowed: true });
  }
  const shards = await uploadShards(node, options.shards(base), sink);
  // A stage is over by its windows' end plus time to finalize and claim.
  const terms = options.terms ?? TRAINING_TASK_TERMS;
  const stageMs = (terms.commitSeconds + terms.revealSeconds) * 1000 + STAGE_MARGIN_MS;
  const inPool = resumed ? await poolTaskIds(node, record.pool) : new Map<Hex, string>();
  const create = async (spec: GradientSpec | AggregateSpec): Promise<string> => {
    const found = inPool.get(encodeTaskSpec(createTaskKindRegistry(), spec).digest.toLowerCase() as Hex);
    if (found !== undefined) return found;
    return (await node.createTask({ spec, pool: record.pool, ...terms, ...committee })).taskId;
  };

  const gradientBar = new ProgressBar(sink, 'gradient');
  const specs = gradientSpecs(training, base.digest, base.index, shards);
  for (const [i, spec] of specs.entries()) {
    if (record.gradientTasks[i] === undefined) {
      record.gradientTasks[i] = await create(spec);
      save();
    }
    gradientBar.update(0, 1, `${i + 1}/${specs.length} tasks created`);
  }
  const trainTasks = await followStage(node, owner, gradientBar, record.gradientTasks, stageMs);
  const winners = await poolWinners(owner, { pool: record.pool });
  if (winners.length === 0) {
    throw new TrainingRoundError(
      `No gradient task of the round found a majority (tasks ${record.gradientTasks.join(', ')}).`,
      { hint: 'Read the node logs (<data dir>/node.log).' },
    );
  }

  const aggregateBar = new ProgressBar(sink, 'aggregate');
  aggregateBar.update(0, 1, `AdamW step on the mean of ${winners.length} gradients`);
  if (record.aggregateTask === null) {
    record.aggregateTask = await create(aggregateSpec(training, winners, base.digest, base.index));
    save();
  }
  const [aggregateTask] = await followStage(node, owner, aggregateBar, [record.aggregateTask], stageMs);
  if (aggregateTask?.state !== 'finalized') {
    throw new TrainingRoundError(`The aggregate task ${record.aggregateTask} failed to find a majority.`, {
      hint: 'Read the node logs (<data dir>/node.log).',
    });
  }

  const publishBar = new ProgressBar(sink, 'publish');
  publishBar.update(0, 1, `model ${modelId}`);
  const published = await publishVersion(owner, { modelId, aggregateTaskId: BigInt(record.aggregateTask) });
  const digest = `${published.digest.slice(0, 12)}…`;
  publishBar.finish(1, 1, `version ${published.index} of model ${modelId}, digest ${digest}`);
  return {
    pool: record.pool,
    base,
    trainTasks,
    aggregateTask,
    version: { index: published.index, digest: published.digest, txHash: published.receipt.transactionHash },
    resumed,
  };
}

/** Stores the round's data shards on the node (content-addressed: a re-upload is a no-op), with a progress bar. */
async function uploadShards(node: NodeClient, shards: ShardBlob[], sink: ProgressSink): Promise<ShardBlob[]> {
  const bar = new ProgressBar(sink, 'shards');
  for (const [i, shard] of shards.entries()) {
    await node.putBlob(shard.bytes);
    bar.update(i + 1, shards.length, `${shard.tokens} tokens each`);
  }
  bar.finish(shards.length, shards.length, `${shards.reduce((n, s) => n + s.tokens, 0)} tokens uploaded`);
  return shards;
}

/** The tasks already in a pool, by spec digest (a round has far fewer than a page of them). */
async function poolTaskIds(node: NodeClient, pool: Hex): Promise<Map<Hex, string>> {
  const page = await node.tasks({ pool, limit: 100 });
  return new Map(page.tasks.map((t) => [t.specDigest.toLowerCase() as Hex, t.id]));
}
