import type { Address, Hex } from 'viem';
import type { InferenceGateway } from '../../inference/gateway.ts';
import type { InferenceHost } from '../../inference/host.ts';
import type { DraftModel } from '../../inference/index.ts';
import type { ShardPlan } from '../../inference/planner.ts';
import type { GptParams, Tokenizer } from '../../model/index.ts';

/**
 * A model version this node serves: its parameters (loaded from the version's
 * checkpoint blob), the shard plan every node recomputes from the registry,
 * the gateway that runs sessions over the plan's hosts, and this node's own
 * inference host (null when the plan gives it no shard).
 */
export type ServedModel = {
  /** The ModelRegistry model id and the version index served. */
  readonly modelId: bigint;
  readonly versionIndex: bigint;
  /** The model's registry name, e.g. `concord-char`. */
  readonly name: string;
  /** The version's model digest (the registry's `digest`). */
  readonly digest: Hex;
  /** The gateway's parameters: config, base and embeddings; every hosted weight is zero (hosts hold those). */
  readonly params: GptParams;
  readonly tokenizer: Tokenizer;
  readonly plan: ShardPlan;
  readonly gateway: InferenceGateway;
  readonly host: InferenceHost | null;
  /** The draft greedy sessions speculate with (`draftFor`), or none. */
  readonly draft: DraftModel | undefined;
};

/** What `GET /v1/models` and the dashboard show of a served (or loading) model version. */
export type ServedModelStatus = {
  readonly modelId: string;
  readonly versionIndex: string;
  readonly name: string;
  readonly digest: Hex;
  /**
   * `loading` (fetching its pieces or waiting for hosts; with `error`, why the last attempt failed —
   * the node tries again at every registry read), `ready`, or `failed` (not served here: a node
   * serves the newest model only; see `error`).
   */
  readonly state: 'loading' | 'ready' | 'failed';
  readonly error?: string;
  readonly replicas: number;
  /** Shards this node serves and stands by for. */
  readonly hostedShards: number;
  /** Bytes of model weights this node's host holds for them (its pieces of the model, no more). */
  readonly hostedBytes: number;
  readonly hosts: readonly Address[];
};

/**
 * The node's model serving: follows the ModelRegistry (latest version of every
 * model), fetches each version's base piece (config, tokenizer), plans the
 * shards over the registered, staked nodes within their memory caps, fetches
 * only the pieces of its own shards and the gateway's, serves its shards on
 * `/concord/infer/1.0.0`, and keeps a gateway per version. Replans when nodes
 * join or leave and reloads when a new version is published.
 */
export type ModelService = {
  /** Statuses of every model version known, newest model first. */
  status(): readonly ServedModelStatus[];
  /**
   * The ready served version of `model` (a registry name, `name@version`, or a
   * decimal model id); without `model`, the newest model's latest version.
   * Throws ModelNotServedError (unknown model, or not ready yet, with the
   * reason in the hint).
   */
  resolve(model?: string): ServedModel;
  /** Reads the registry now instead of at the next poll (after a publish). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
};
