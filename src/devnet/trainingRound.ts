import type { Address, Hex } from 'viem';
import type { ConcordContext } from '../chain/context.ts';
import type { NodeClient } from '../client/nodeClient.ts';
import type { ProgressSink } from '../client/progressBar.ts';
import {
  aggregateSpec,
  gradientSpecs,
  runTrainingRound,
  type TrainingRecipe,
  type TrainingRoundResult,
} from '../client/training/round.ts';
import { NETWORK_MODEL_RECIPE, type NetworkModelRecipe } from '../data/recipe.ts';
import { joinSpeeches, loadSpeeches, splitSpeeches } from '../data/sotu.ts';
import type { Tokenizer } from '../model/index.ts';
import type { AggregateSpec } from '../tasks/aggregate.ts';
import type { GradientSpec } from '../tasks/gradient.ts';
import { type ShardBlob, shardBlob } from '../tasks/shardBlob.ts';

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

/** The place in the recipe's learning-rate schedule of the round that trains on version `base` (after the shipped model's rounds). */
export function devnetRoundIndex(base: bigint): number {
  return DEVNET_RECIPE.rounds + Number(base);
}

/** The devnet's recipe and schedule, as the network training coordinator takes them. */
const DEVNET_TRAINING: TrainingRecipe = { recipe: DEVNET_RECIPE, roundIndex: devnetRoundIndex };

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
  return gradientSpecs(DEVNET_TRAINING, base, baseIndex, shards);
}

/**
 * The `aggregate` spec of the devnet round on version `base` (index
 * `baseIndex`): FedAvg of the winning gradients (in task order), applied to
 * the base as one AdamW step at the schedule's rate for the round.
 */
export function devnetAggregateSpec(winners: readonly Hex[], base: Hex, baseIndex: bigint): AggregateSpec {
  return aggregateSpec(DEVNET_TRAINING, winners, base, baseIndex);
}

/** What {@link runDevnetRound} needs. */
export type DevnetRoundOptions = {
  /** Node 0's API (with its token): it stores the inputs and creates the tasks. */
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

/**
 * One training round of the devnet's model through the network coordinator
 * (`concord train` runs the same rounds): K = min(nodes, 4) `gradient`
 * tasks on the next State of the Union shards, with every node in the
 * committee (quorum 2), an AdamW `aggregate` task, and the new version.
 */
export async function runDevnetRound(options: DevnetRoundOptions): Promise<TrainingRoundResult> {
  const { nodes, tokenizer } = options;
  const count = Math.min(nodes, MAX_ROUND_TASKS);
  return await runTrainingRound({
    ...options,
    training: DEVNET_TRAINING,
    shards: (base) => devnetShards(tokenizer, count, base.index),
    committee: { maxParticipants: nodes, quorum: Math.min(2, nodes), committeeSize: nodes },
    poolLabel: 'concord/devnet-round',
  });
}
