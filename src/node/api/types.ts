import type { Address, Hex } from 'viem';
import type { HealthChecks } from '../health.ts';
import type { NodeMetrics } from '../metrics.ts';
import type { Secret } from '../secret.ts';
import type { CreateTaskFields, TaskListFields } from './schemas.ts';

/** What `GET /health` reports. */
export type HealthView = {
  peerId: string;
  address: Address;
  chainId: number;
  chainHead: bigint;
  checks: HealthChecks;
};

/** A task as the API shows it (amounts and ids as decimal strings). */
export type TaskView = {
  id: string;
  kind: Hex;
  /** The kind's name when this node knows it. */
  kindName: string | null;
  specDigest: Hex;
  pool: Hex;
  creator: Address;
  /** `committing`, `revealing`, `finalizable`, `finalized` or `failed`. */
  state: string;
  baseReward: string;
  growthBps: number;
  maxParticipants: number;
  quorum: number;
  bond: string;
  commitDeadline: number;
  revealDeadline: number;
  committee: Address[];
  commits: Address[];
  reveals: { participant: Address; digest: Hex }[];
  winner: Hex | null;
  payouts: { account: Address; amount: string }[];
};

/** Filters and page of `GET /v1/tasks` (its query schema's type, the cursor as a bigint, the page size as a number). */
export type TaskListQuery = Optional<Omit<TaskListFields, 'before' | 'limit'>> & {
  /** Return tasks with ids below this one (newest first); omit for the newest. */
  before?: bigint | undefined;
  /** Tasks per page, 1 to `MAX_TASK_PAGE`. */
  limit: number;
};

/** One page of tasks, newest first, with the cursor of the next page. */
export type TaskListPage = { tasks: TaskView[]; next: string | null };

/** `POST /v1/tasks`'s body (its schema's type), amounts as bigints and the pool as hex. */
export type CreateTaskRequest = Omit<CreateTaskFields, 'baseReward' | 'bond' | 'stakeSlash' | 'pool'> & {
  baseReward: bigint;
  bond: bigint;
  stakeSlash: bigint;
  pool: Hex;
};

/** `T` with each optional member also accepting `undefined`. */
type Optional<T> = { [K in keyof T]: undefined extends T[K] ? T[K] | undefined : T[K] };

/** What `POST /v1/tasks` returns. */
export type CreateTaskResult = { taskId: bigint; specDigest: Hex; txHash: Hex };

/** A connected or known peer as `GET /v1/peers` shows it. */
/**
 * A connected peer as `GET /v1/peers` lists it; `node` says whether it is an active Concord node
 * (registered with a verified peer id), not another node's gateway host or a client.
 */
export type PeerView = { peerId: string; addrs: string[]; connected: boolean; node: boolean };

/**
 * What the HTTP API needs from the node: the operations it binds, the API
 * token for state-changing routes, and the metrics it renders.
 */
export type ApiDeps = {
  version: string;
  apiToken: Secret;
  metrics: NodeMetrics;
  /** Answers within about 2 s; throws `ChainUnreachableError` when the chain is down. */
  health(): Promise<HealthView>;
  listTasks(query: TaskListQuery): Promise<TaskListPage>;
  /** Returns the task, or throws `UnknownTaskError`. */
  getTask(id: bigint): Promise<TaskView>;
  createTask(request: CreateTaskRequest): Promise<CreateTaskResult>;
  peers(): Promise<PeerView[]>;
  /** Stores a blob in the node's blob store; returns its digest. */
  putBlob(bytes: Uint8Array): Promise<Hex>;
  /** Stores a checkpoint as a model version (`BlobStore.putModel`); returns its model digest. */
  putModel(bytes: Uint8Array): Promise<Hex>;
};
