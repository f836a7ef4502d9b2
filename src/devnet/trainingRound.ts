import { type Address, type Hex, parseEther, toHex } from 'viem';
import { isPoolCreator } from '../chain/actions/isPoolCreator.ts';
import { latestVersion, type ModelVersion } from '../chain/actions/latestVersion.ts';
import { poolWinners } from '../chain/actions/poolWinners.ts';
import { publishVersion } from '../chain/actions/publishVersion.ts';
import { setPoolCreator } from '../chain/actions/setPoolCreator.ts';
import type { ConcordContext } from '../chain/context.ts';
import { poolId } from '../chain/poolId.ts';
import type { NodeClient } from '../client/nodeClient.ts';
import { ProgressBar, type ProgressSink } from '../client/progressBar.ts';
import { followTasks, progressUnits, type TaskProgress } from '../client/taskProgress.ts';
import { roundAggregateSpec, roundGradientSpec } from '../data/networkTraining.ts';
import { NETWORK_MODEL_RECIPE, type NetworkModelRecipe } from '../data/recipe.ts';
import { joinSpeeches, loadSpeeches, splitSpeeches } from '../data/sotu.ts';
import type { Tokenizer } from '../model/index.ts';
import type { TaskView } from '../node/api/types.ts';
import type { AggregateSpec } from '../tasks/aggregate.ts';
import type { GradientSpec } from '../tasks/gradient.ts';
import { type ShardBlob, shardBlob } from '../tasks/shardBlob.ts';
import { DevnetTrainingError } from './errors.ts';

/**
 * The devnet's training recipe: the shipped model's gradient rounds
 * (models/README.md: `gradient` tasks, one AdamW `aggregate` step), with up
 * to 4 tasks of small batches so a round takes seconds on a laptop.
 */
export const DEVNET_RECIPE: NetworkModelRecipe = {
  ...NETWORK_MODEL_RECIPE,
  shards: 4,
  taskBatch: 4,
  seqLen: 64,
};
/** Most `gradient` tasks in one devnet round (the recipe's shard count). */
export const MAX_ROUND_TASKS = DEVNET_RECIPE.shards;
/** The training text is cut into this many data shards (about 150 000 characters each); each round takes the next ones. */
export const DEVNET_DATA_SHARDS = 64;

/** Rewards and deadlines of the devnet's tasks (every node in the committee, quorum 2). */
const TASK_TERMS = {
  baseReward: parseEther('1').toString(),
  growthBps: 1000,
  bond: parseEther('1').toString(),
  stakeSlash: parseEther('10').toString(),
  commitSeconds: 300,
  revealSeconds: 300,
} as const;

/** The place in the recipe's learning-rate schedule of the round that trains on version `base` (after the shipped model's rounds). */
export function devnetRoundIndex(base: bigint): number {
  return DEVNET_RECIPE.rounds + Number(base);
}

/**
 * The data shards of the round on version `base`: the State of the Union
 * training split cut into {@link DEVNET_DATA_SHARDS} contiguous pieces of
 * text (never inside a surrogate pair), of which round `base` takes the
 * `count` after the previous round's (wrapping around), each encoded with
 * `tokenizer` (only those: encoding the whole corpus takes seconds).
 */
export function devnetShards(tokenizer: Tokenizer, count: number, base: bigint): ShardBlob[] {
  const text = joinSpeeches(splitSpeeches(loadSpeeches()).train);
  const boundary = (i: number) => {
    const at = Math.floor((i * text.length) / DEVNET_DATA_SHARDS);
    const code = text.charCodeAt(at);
    return code >= 0xdc00 && code <= 0xdfff ? at + 1 : at;
  };
  const first = Number((base * BigInt(count)) % BigInt(DEVNET_DATA_SHARDS));
  return Array.from({ length: count }, (_, k) => {
    const i = (first + k) % DEVNET_DATA_SHARDS;
    return shardBlob(Int32Array.from(tokenizer.encode(text.slice(boundary(i), boundary(i + 1)))));
  });
}

/** The `gradient` task specs of the devnet round on the version with digest `base` and index `baseIndex`. */
export function devnetGradientSpecs(
  base: Hex,
  baseIndex: bigint,
  shards: readonly ShardBlob[],
): GradientSpec[] {
  return shards.map((shard, i) =>
    roundGradientSpec(DEVNET_RECIPE, base, shard, devnetRoundIndex(baseIndex), i),
  );
}

/**
 * The `aggregate` spec of the devnet round on version `base` (index
 * `baseIndex`): FedAvg of the winning gradients (in task order), applied to
 * the base as one AdamW step at the schedule's rate for the round.
 */
export function devnetAggregateSpec(winners: readonly Hex[], base: Hex, baseIndex: bigint): AggregateSpec {
  return roundAggregateSpec(DEVNET_RECIPE, base, [...winners], [], devnetRoundIndex(baseIndex));
}

/** What {@link runTrainingRound} needs. */
export type TrainingRoundOptions = {
  /** Node 0's API (with its token): it stores the inputs and creates the train tasks. */
  node: NodeClient;
  /** Node 0's account: the owner allows it to add tasks to the owner's pools. */
  nodeAccount: Address;
  /** The model's owner, who owns the round's pool and publishes the version. */
  owner: ConcordContext;
  modelId: bigint;
  /** Nodes in the devnet: every one is in every committee. */
  nodes: number;
  /** The tokenizer of the model (the shipped checkpoint's). */
  tokenizer: Tokenizer;
  sink: ProgressSink;
};

/** The outcome of a round: its pool, the version it trained on and the version it published. */
export type TrainingRoundResult = {
  pool: Hex;
  base: ModelVersion;
  trainTasks: TaskView[];
  aggregateTask: TaskView;
  version: { index: bigint; digest: Hex; txHash: Hex };
};

/**
 * One training round of the devnet's model, all through the network:
 * K = min(nodes, 4) `gradient` tasks (one data shard each) in a fresh pool
 * of the owner's (ModelRegistry publishes only rounds of the model's owner),
 * created by node 0, which the owner allows to add tasks to its pools, with
 * every node in the committee; once they are settled,
 * one `aggregate` task whose inputs are exactly the pool's winners, taking
 * one AdamW step from the base along their mean; then the owner publishes
 * its winner as the model's next version.
 * Each stage shows a progress bar on `sink`.
 */
export async function runTrainingRound(options: TrainingRoundOptions): Promise<TrainingRoundResult> {
  const { node, nodeAccount, owner, modelId, nodes, sink } = options;
  const committee: Committee = { maxParticipants: nodes, quorum: Math.min(2, nodes), committeeSize: nodes };
  const base = await latestVersion(owner, { modelId });
  if (!(await isPoolCreator(owner, { owner: owner.account.address, account: nodeAccount }))) {
    await setPoolCreator(owner, { account: nodeAccount, allowed: true });
  }
  const random = toHex(crypto.getRandomValues(new Uint8Array(32)));
  const pool = poolId(owner.account.address, `concord/devnet-round/${modelId}/${base.index}/${random}`);
  const shards = await uploadShards(options, base.index);

  const gradientBar = new ProgressBar(sink, 'gradient');
  const taskIds: string[] = [];
  for (const spec of devnetGradientSpecs(base.digest, base.index, shards)) {
    const created = await node.createTask({ spec, pool, ...TASK_TERMS, ...committee });
    taskIds.push(created.taskId);
    gradientBar.update(0, 1, `${taskIds.length}/${shards.length} tasks created`);
  }
  const trainTasks = await followStage(options, gradientBar, taskIds);
  const winners = await poolWinners(owner, { pool });
  if (winners.length === 0) {
    throw new DevnetTrainingError(
      `No gradient task of the round found a majority (tasks ${taskIds.join(', ')}).`,
      {
        hint: 'Read the node logs in <dir>/node*/node.log.',
      },
    );
  }

  const aggregateBar = new ProgressBar(sink, 'aggregate');
  aggregateBar.update(0, 1, `AdamW step on the mean of ${winners.length} gradients`);
  const spec = devnetAggregateSpec(winners, base.digest, base.index);
  const { taskId: aggregateId } = await node.createTask({ spec, pool, ...TASK_TERMS, ...committee });
  const [aggregateTask] = await followStage(options, aggregateBar, [aggregateId]);
  if (aggregateTask?.state !== 'finalized') {
    throw new DevnetTrainingError(`The aggregate task ${aggregateId} failed to find a majority.`, {
      hint: 'Read the node logs in <dir>/node*/node.log.',
    });
  }

  const publishBar = new ProgressBar(sink, 'publish');
  publishBar.update(0, 1, `model ${modelId}`);
  const published = await publishVersion(owner, { modelId, aggregateTaskId: BigInt(aggregateId) });
  const digest = `${published.digest.slice(0, 12)}…`;
  publishBar.finish(1, 1, `version ${published.index} of model ${modelId}, digest ${digest}`);
  return {
    pool,
    base,
    trainTasks,
    aggregateTask,
    version: { index: published.index, digest: published.digest, txHash: published.receipt.transactionHash },
  };
}

/** Who may work on a devnet task: every node, with a quorum of two (one on a one-node devnet). */
type Committee = { maxParticipants: number; quorum: number; committeeSize: number };

/** Cuts the round's data shards and stores them on node 0, with a progress bar. */
async function uploadShards(options: TrainingRoundOptions, base: bigint): Promise<ShardBlob[]> {
  const count = Math.min(options.nodes, MAX_ROUND_TASKS);
  const bar = new ProgressBar(options.sink, 'shards');
  bar.update(0, count, 'State of the Union');
  const shards = devnetShards(options.tokenizer, count, base);
  for (const [i, shard] of shards.entries()) {
    await options.node.putBlob(shard.bytes);
    bar.update(i + 1, count, `${shard.tokens} characters each`);
  }
  bar.finish(count, count, `${shards.reduce((n, s) => n + s.tokens, 0)} characters uploaded to node 0`);
  return shards;
}

/** Follows a stage's tasks on its bar until every one is settled; returns their final views. */
async function followStage(
  options: TrainingRoundOptions,
  bar: ProgressBar,
  taskIds: string[],
): Promise<TaskView[]> {
  let last: TaskProgress[] = [];
  const views = await followTasks(options.node, options.owner, taskIds, (progress) => {
    last = progress;
    showStage(bar, progress);
  });
  finishStage(bar, last);
  return views;
}

/** The combined units of a stage's tasks. */
function stageUnits(progress: readonly TaskProgress[]): { done: number; total: number } {
  const units = progress.map(progressUnits);
  return { done: units.reduce((n, u) => n + u.done, 0), total: units.reduce((n, u) => n + u.total, 0) };
}

/** Draws the combined progress of a stage's tasks. */
function showStage(bar: ProgressBar, progress: readonly TaskProgress[]): void {
  const { done, total } = stageUnits(progress);
  bar.update(done, total, stageDetail(progress));
}

/** Ends a stage's bar at its last progress, with `detail` or the stage counts. */
function finishStage(
  bar: ProgressBar,
  progress: readonly TaskProgress[],
  detail = stageDetail(progress),
): void {
  const { done, total } = stageUnits(progress);
  bar.finish(done, total, detail);
}

/** `committed 8/8 · revealed 8/8 · finalized 4/4 · claimed 7/8`. */
function stageDetail(progress: readonly TaskProgress[]): string {
  const sum = (f: (p: TaskProgress) => number) => progress.reduce((n, p) => n + f(p), 0);
  const failed = sum((p) => (p.state === 'failed' ? 1 : 0));
  return [
    `committed ${sum((p) => p.committed)}/${sum((p) => p.committee)}`,
    `revealed ${sum((p) => p.revealed)}/${sum((p) => p.committee)}`,
    `finalized ${sum((p) => (p.finalized ? 1 : 0))}/${progress.length}`,
    `claimed ${sum((p) => p.claimed)}/${sum((p) => p.winners)}`,
    ...(failed > 0 ? [`failed ${failed}`] : []),
  ].join(' · ');
}
