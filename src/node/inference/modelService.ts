import { type Address, getAddress, type Hex } from 'viem';
import { activeNodes } from '../../chain/actions/activeNodes.ts';
import type { ConcordContext } from '../../chain/context.ts';
import type { InferenceDomain } from '../../chain/inferenceStatement.ts';
import { errorLine } from '../../chain/rpcErrors.ts';
import { BaseError } from '../../core/errors.ts';
import {
  type ExchangeShardWeights,
  exchangeLeafRange,
  InferenceGateway,
  type InferenceGatewayInit,
  type InferenceHost,
  type InferenceMetrics,
  type PlanFlags,
  planFlags,
  type ShardPlan,
  serveInference,
} from '../../inference/index.ts';
import type { GptConfig, GptParams } from '../../model/index.ts';
import {
  BASE_LEAF,
  decodeBasePiece,
  type PieceLayout,
  pieceLayout,
  vocabLeaves,
} from '../../model/pieces/index.ts';
import type { ConcordHost } from '../../p2p/createHost.ts';
import type { PieceSource } from '../../p2p/piecesServer.ts';
import type { BlobStore } from '../../store/blobStore.ts';
import { localSigner } from '../blobFetcher.ts';
import { ModelNotServedError } from '../errors.ts';
import { GatewayPeers, startGatewayHost } from './gatewayPeers.ts';
import { chainSessionAdmission } from './hostAdmission.ts';
import { lyingShard } from './lyingParams.ts';
import {
  DEFAULT_SHARDING,
  hostedShardsKey,
  isPlannedHost,
  planVersion,
  type ShardingOptions,
  servingHosts,
} from './planVersion.ts';
import { nodeSetKey, type RegistryModel, type RegistryState, readRegistryState } from './registryState.ts';
import type { ModelService, ServedModel, ServedModelStatus } from './types.ts';
import { checkpointProviders } from './versionCheckpoint.ts';
import {
  hostedShardKey,
  loadGatewayParams,
  loadHostedShards,
  loadVersionBase,
  type VersionBase,
  type VersionSource,
} from './versionPieces.ts';

/**
 * What model serving needs from the node: the chain, its libp2p host, its
 * blob store, the pieces it holds whole checkpoints of (`storePieceSources`,
 * read locally instead of fetched) and its log.
 */
export type ModelServiceDeps = {
  ctx: ConcordContext;
  host: ConcordHost;
  blobs: BlobStore;
  pieces: (digest: Hex) => PieceSource | undefined;
  log: (line: string) => void;
  /** Where the gateways count their sessions (default: nowhere). */
  metrics?: InferenceMetrics;
};

/** How this node serves models; every field has the `concord node start` default. */
export type ModelServiceOptions = {
  /** Hosts per shard (default 1), ranked standbys per shard (default 1), row shards per matrix (default 4). */
  replicas?: number | undefined;
  standbys?: number | undefined;
  shardsPerMatrix?: number | undefined;
  /** Tests only: this node's inference host computes from perturbed weights. */
  lie?: boolean;
  /** How often the registry is read; default 2000 ms. */
  pollIntervalMs?: number;
  /** Time one fetch of pieces from one peer may take; default 120 s. */
  fetchTimeoutMs?: number;
  /** Gateway settings; the gateway's defaults where absent. */
  gateway?: Partial<Pick<InferenceGatewayInit, 'mode' | 'timeoutMs' | 'signatureCheck' | 'sealEvery'>>;
};

/**
 * A `host` request as the blob and pieces servers' authorizer hands it over:
 * `leaves` is the range of pieces asked for (absent: the whole checkpoint).
 */
export type HostFetchQuery = {
  modelId: bigint;
  versionIndex: bigint;
  digest: Hex;
  requester: Address;
  leaves?: readonly [number, number];
};

/** The node's ModelService plus the rights check its blob server asks for `host` fetches. */
export type NodeModelService = ModelService & {
  /**
   * Whether `requester` may fetch pieces of this version: the digest is the
   * version's and, under its plan recomputed from the active nodes on chain
   * now, the requester serves or stands by for a shard whose pieces overlap
   * the range; the base and vocabulary pieces (what every gateway holds) go
   * to any active node. The whole checkpoint (no range) only to a planned host.
   */
  mayFetchCheckpoint(query: HostFetchQuery): Promise<boolean>;
  /**
   * The peer id of the libp2p host the node's gateways dial from (it connects
   * to the node's own host), once started; undefined before.
   */
  gatewayPeerId(): string | undefined;
};

/** The shards a version is served with under one node set. */
type Serving = {
  readonly plan: ShardPlan;
  readonly replicas: number;
  readonly nodesKey: string;
  readonly gateway: InferenceGateway;
  readonly host: InferenceHost | null;
  readonly hostedShards: number;
  /** Bytes of model weights the host holds (its shards and standby shards). */
  readonly hostedBytes: number;
  /** `hostedShardsKey` of the plan for this node: a new plan with the same key keeps the host. */
  readonly hostedKey: string;
};

/** One model of the registry at its latest version, and how far this node got serving it. */
type Tracked = {
  readonly model: RegistryModel;
  state: ServedModelStatus['state'];
  error?: string;
  /** The version's base piece: config, tokenizer, the gateway's own weights. */
  base?: VersionBase;
  /** The gateway's parameters: the base piece and the embeddings, nothing hosted. */
  gatewayParams?: GptParams;
  /** The shards the host holds, by `hostedShardKey` (kept across replans). */
  held?: ReadonlyMap<string, ExchangeShardWeights>;
  serving?: Serving;
};

const DEFAULT_POLL_MS = 2_000;
const DEFAULT_FETCH_TIMEOUT_MS = 120_000;

/**
 * Starts model serving (see `ModelService`): reads the registry now and every
 * `pollIntervalMs`, loads the newest model's latest version, serves this
 * node's shards of it and keeps its gateway; replans when the active nodes or
 * their stakes change. The inference protocol's requests do not name a
 * model, so a node serves one version at a time: the newest model's latest.
 */
export function createModelService(
  deps: ModelServiceDeps,
  options: ModelServiceOptions = {},
): NodeModelService {
  return new NodeModels(deps, options);
}

/** The ModelService of one node (see `createModelService`). */
class NodeModels implements NodeModelService {
  readonly #deps: ModelServiceDeps;
  readonly #options: ModelServiceOptions;
  readonly #sharding: ShardingOptions;
  readonly #domain: InferenceDomain;
  readonly #abort = new AbortController();
  /** Newest model first. */
  #tracked: Tracked[] = [];
  #syncing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #gateway: Promise<{ host: ConcordHost; peers: GatewayPeers }> | undefined;
  #gatewayPeerId: string | undefined;

  constructor(deps: ModelServiceDeps, options: ModelServiceOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#sharding = {
      replicas: options.replicas ?? DEFAULT_SHARDING.replicas,
      standbys: options.standbys ?? DEFAULT_SHARDING.standbys,
      shardsPerMatrix: options.shardsPerMatrix ?? DEFAULT_SHARDING.shardsPerMatrix,
    };
    this.#domain = { chainId: deps.ctx.chain.id, settlement: deps.ctx.addresses.inferenceSettlement };
    void this.#poll();
  }

  status(): readonly ServedModelStatus[] {
    return this.#tracked.map((t) => this.#statusOf(t));
  }

  resolve(model?: string): ServedModel {
    const t = model === undefined ? this.#tracked[0] : this.#find(model);
    if (t !== undefined && model !== undefined && !versionMatches(t, model)) {
      throw new ModelNotServedError(
        `Model ${t.model.name} is at version ${t.model.version.index}; '${model}' is not served.`,
        {
          hint: 'A node serves the latest version of a model; ask for the name alone or name@latest-version.',
        },
      );
    }
    if (t === undefined) {
      throw new ModelNotServedError(
        model === undefined ? 'No model is registered yet.' : `No model '${model}' is registered.`,
        { hint: 'GET /v1/models lists the models this node serves (name, name@version or model id).' },
      );
    }
    const { base, gatewayParams, serving } = t;
    if (t.state !== 'ready' || base === undefined || gatewayParams === undefined || serving === undefined) {
      throw new ModelNotServedError(
        `Model ${t.model.name}@${t.model.version.index} is not ready on this node.`,
        {
          details: t.error === undefined ? t.state : `${t.state}: ${t.error}`,
          hint:
            t.state === 'loading'
              ? 'The node is fetching its pieces of the model or planning its hosts (and retries after an error at every registry read); try again in a few seconds.'
              : 'A node serves one model version at a time: the newest model.',
        },
      );
    }
    return {
      modelId: t.model.modelId,
      versionIndex: t.model.version.index,
      name: t.model.name,
      digest: t.model.version.digest,
      params: gatewayParams,
      tokenizer: base.tokenizer,
      plan: serving.plan,
      gateway: serving.gateway,
      host: serving.host,
      draft: base.draft,
    };
  }

  refresh(): Promise<void> {
    const run = this.#syncing.then(() => this.#sync());
    this.#syncing = run.catch((err: unknown) => this.#deps.log(`models: ${describe(err)}`));
    return run;
  }

  async mayFetchCheckpoint(query: HostFetchQuery): Promise<boolean> {
    const t = this.#tracked.find(
      (x) => x.model.modelId === query.modelId && x.model.version.index === query.versionIndex,
    );
    if (t === undefined || t.model.version.digest.toLowerCase() !== query.digest.toLowerCase()) return false;
    const config = t.base?.config ?? this.#localConfig(query.digest);
    if (config === undefined) return false;
    const nodes = await activeNodes(this.#deps.ctx);
    const requester = getAddress(query.requester);
    if (!nodes.some((n) => n.stake > 0n && getAddress(n.account) === requester)) return false;
    const layout = pieceLayout(config);
    if (query.leaves !== undefined && isGatewayRange(layout, query.leaves)) return true;
    const { plan } = planVersion(t.model.version.digest, config, nodes, this.#sharding);
    if (query.leaves === undefined) return isPlannedHost(plan, requester);
    const [start, end] = query.leaves;
    return plan.shards.some((s) => {
      if (!s.hosts.includes(requester) && !s.standbys.includes(requester)) return false;
      const [from, to] = exchangeLeafRange(layout, s.matrix, [s.rowStart, s.rowEnd]);
      return start < to && from < end;
    });
  }

  /** The config of a version whose whole checkpoint this node holds (before it has loaded the version). */
  /** The sharding flags this node plans with, as hosts and gateways compare them (not capped by the node count). */
  #planFlags(): PlanFlags {
    const { replicas, standbys, shardsPerMatrix } = this.#sharding;
    return planFlags({ replicas, standbys, sharding: { shardsPerMatrix } });
  }

  #localConfig(digest: Hex): GptConfig | undefined {
    const local = this.#deps.pieces(digest);
    return local ? decodeBasePiece(local.payload(BASE_LEAF)).config : undefined;
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    clearTimeout(this.#timer);
    await this.#syncing;
    for (const t of this.#tracked) await retire(t);
    if (this.#gateway) await (await this.#gateway.catch(() => undefined))?.host.stop();
  }

  async #poll(): Promise<void> {
    await this.refresh().catch(() => undefined);
    if (this.#abort.signal.aborted) return;
    this.#timer = setTimeout(() => void this.#poll(), this.#options.pollIntervalMs ?? DEFAULT_POLL_MS);
  }

  /** The newest tracked model `model` names by name or decimal id (any `@version` suffix aside). */
  #find(model: string): Tracked | undefined {
    const name = splitVersion(model).name;
    return this.#tracked.find(
      (x) => x.model.name === name || (/^[1-9][0-9]{0,77}$/.test(name) && x.model.modelId === BigInt(name)),
    );
  }

  #statusOf(t: Tracked): ServedModelStatus {
    return {
      modelId: t.model.modelId.toString(),
      versionIndex: t.model.version.index.toString(),
      name: t.model.name,
      digest: t.model.version.digest,
      state: t.state,
      ...(t.error === undefined ? {} : { error: t.error }),
      replicas: t.serving?.replicas ?? this.#sharding.replicas,
      hostedShards: t.serving?.hostedShards ?? 0,
      hostedBytes: t.serving?.hostedBytes ?? 0,
      hosts: t.serving ? servingHosts(t.serving.plan) : [],
    };
  }

  /** One registry read: follow new models and versions, then load, plan and serve the newest model. */
  async #sync(): Promise<void> {
    if (this.#abort.signal.aborted) return;
    const state = await readRegistryState(this.#deps.ctx);
    const previous = new Map(this.#tracked.map((t) => [t.model.modelId, t]));
    const next: Tracked[] = [];
    for (const [i, model] of state.models.entries()) {
      const old = previous.get(model.modelId);
      let t: Tracked = { model, state: 'loading' };
      if (old?.model.version.index === model.version.index) t = old;
      else if (old) {
        await retire(old);
        this.#deps.log(`models: ${model.name} has version ${model.version.index}; switching`);
      }
      if (i > 0) {
        await retire(t);
        t.state = 'failed';
        t.error = `not served: a node serves one model version at a time (the newest model, ${state.models[0]!.name})`;
      }
      next.push(t);
    }
    this.#tracked = next;
    const primary = next[0];
    if (primary !== undefined) await this.#serve(primary, state);
  }

  /** Loads the version's pieces this node needs and (re)plans when the node set changed. */
  async #serve(t: Tracked, state: RegistryState): Promise<void> {
    const nodesKey = nodeSetKey(state.nodes);
    if (t.state === 'ready' && t.serving?.nodesKey === nodesKey) return;
    try {
      const source = await this.#source(t.model, state);
      const base = t.base ?? (await loadVersionBase(this.#fetchDeps(), source));
      t.base = base;
      const { plan, replicas } = planVersion(
        t.model.version.digest,
        base.config,
        state.nodes,
        this.#sharding,
      );
      t.gatewayParams ??= await loadGatewayParams(this.#fetchDeps(), source, base);
      const gw = await this.#gatewayHost();
      const peers = await gw.peers.resolve(plan.shards.flatMap((s) => [...s.hosts, ...s.standbys]));
      const gateway = new InferenceGateway({
        host: gw.host,
        domain: this.#domain,
        plan,
        planFlags: this.#planFlags(),
        params: t.gatewayParams,
        peers,
        tokenizer: base.tokenizer,
        log: (line) => this.#deps.log(`gateway: ${t.model.name}@${t.model.version.index}: ${line}`),
        ...(this.#deps.metrics === undefined ? {} : { metrics: this.#deps.metrics }),
        ...this.#options.gateway,
      });
      const self = getAddress(this.#deps.ctx.account.address);
      const hostedKey = hostedShardsKey(plan, self);
      const previous = t.serving;
      // A replan that leaves this node's shards as they were (say, only a stake changed) keeps
      // its host running: restarting it would drop the attention caches of every session in flight.
      let host = previous?.host ?? null;
      let hostedShards = previous?.hostedShards ?? 0;
      let hostedBytes = previous?.hostedBytes ?? 0;
      if (previous?.hostedKey !== hostedKey) {
        const held = await loadHostedShards(this.#fetchDeps(), source, base, {
          plan,
          self,
          held: t.held ?? new Map(),
        });
        t.held = new Map(held.map((w) => [keyOf(w), w]));
        const shards = this.#options.lie ? held.map(lyingShard) : held;
        await previous?.host?.stop();
        host =
          shards.length === 0
            ? null
            : await serveInference(this.#deps.host, {
                domain: this.#domain,
                signer: localSigner(this.#deps.ctx),
                model: plan.parameters.modelDigest,
                plan: this.#planFlags(),
                config: base.config,
                admit: chainSessionAdmission(this.#deps.ctx, {
                  modelId: t.model.modelId,
                  versionIndex: t.model.version.index,
                }),
                shards,
              });
        hostedShards = shards.length;
        hostedBytes = held.reduce((sum, w) => sum + shardBytes(w), 0);
      }
      await previous?.gateway.close();
      gw.peers.warmUp(peers);
      t.serving = { plan, replicas, nodesKey, gateway, host, hostedShards, hostedBytes, hostedKey };
      t.state = 'ready';
      delete t.error;
      const short =
        replicas < this.#sharding.replicas
          ? ` (only ${replicas} of ${this.#sharding.replicas} replicas: too few nodes)`
          : '';
      this.#deps.log(
        `models: serving ${t.model.name}@${t.model.version.index} over ${state.nodes.length} nodes, ${hostedShards} shards here (${hostedBytes} bytes)${short}`,
      );
    } catch (err) {
      if (this.#abort.signal.aborted) return;
      const error = describe(err);
      if (error !== t.error) this.#deps.log(`models: ${t.model.name}@${t.model.version.index}: ${error}`);
      // Still loading: the next registry read tries again (a provider that had not yet read the
      // version, a peer that was down); `error` says why the last attempt failed.
      t.state = 'loading';
      t.error = error;
    }
  }

  /** Where the version's pieces come from: its digest and the nodes likely to hold it. */
  async #source(model: RegistryModel, state: RegistryState): Promise<VersionSource> {
    const providers = await checkpointProviders(this.#deps.ctx, {
      version: model.version,
      owner: model.owner,
      nodes: state.nodes,
    });
    return {
      modelId: model.modelId,
      versionIndex: model.version.index,
      digest: model.version.digest,
      providers,
      local: this.#deps.pieces(model.version.digest),
      signal: this.#abort.signal,
    };
  }

  #fetchDeps() {
    const { ctx, host, blobs } = this.#deps;
    return { ctx, host, blobs, timeoutMs: this.#options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS };
  }

  gatewayPeerId(): string | undefined {
    return this.#gatewayPeerId;
  }

  #gatewayHost(): Promise<{ host: ConcordHost; peers: GatewayPeers }> {
    this.#gateway ??= startGatewayHost(this.#deps.host).then((host) => {
      this.#gatewayPeerId = host.peerId.toString();
      return { host, peers: new GatewayPeers(this.#deps.ctx, this.#deps.host, host) };
    });
    const started = this.#gateway;
    started.catch(() => {
      if (this.#gateway === started) this.#gateway = undefined; // try again next round
    });
    return started;
  }
}

/** `name@version` split at the last `@` (no version without one). */
function splitVersion(model: string): { name: string; version: string | undefined } {
  const at = model.lastIndexOf('@');
  return at < 0
    ? { name: model, version: undefined }
    : { name: model.slice(0, at), version: model.slice(at + 1) };
}

/** Whether the `@version` of `model`, if any, is the tracked version. */
function versionMatches(t: Tracked, model: string): boolean {
  const { version } = splitVersion(model);
  if (version === undefined) return true;
  return /^(0|[1-9][0-9]{0,77})$/.test(version) && BigInt(version) === t.model.version.index;
}

/** Stops serving a version's shards and forgets its pieces. */
async function retire(t: Tracked): Promise<void> {
  await t.serving?.host?.stop();
  delete t.serving;
  delete t.base;
  delete t.gatewayParams;
  delete t.held;
}

/** The key a held shard is kept under (see `hostedShardKey`). */
function keyOf(w: ExchangeShardWeights): string {
  const [start, end] = w.kind === 'attn' ? [w.headStart, w.headEnd] : [w.rowStart, w.rowEnd];
  return hostedShardKey(w.kind === 'lm_head' ? -1 : w.layer, w.kind, w.shard, start, end);
}

/** Bytes of a shard's weight arrays. */
function shardBytes(w: ExchangeShardWeights): number {
  const arrays =
    w.kind === 'attn' ? [w.qkv, w.qkvBias, w.proj] : w.kind === 'mlp' ? [w.fc, w.fcBias, w.proj] : [w.weight];
  return arrays.reduce((sum, a) => sum + a.byteLength, 0);
}

/** Whether leaves [start, end) are all base or vocabulary pieces (what any gateway holds). */
function isGatewayRange(layout: PieceLayout, [start, end]: readonly [number, number]): boolean {
  const [vocabStart] = vocabLeaves(layout, 0, layout.config.vocabSize);
  return (start === BASE_LEAF && end === BASE_LEAF + 1) || (start >= vocabStart && end <= layout.leafCount);
}

function describe(err: unknown): string {
  if (err instanceof BaseError)
    return `${err.name}: ${err.shortMessage}${err.details ? ` (${err.details})` : ''}`;
  return errorLine(err);
}
