import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import type { FastifyInstance } from 'fastify';
import type { Address } from 'viem';
import { DEFAULT_CHAIN_WAIT_MS } from '../chain/client.ts';
import { type ConcordContext, createConcordContext } from '../chain/context.ts';
import { readDeployment } from '../chain/deployment.ts';
import { errorLine } from '../chain/rpcErrors.ts';
import { reachableUrls } from '../core/netHosts.ts';
import { type BlobServer, serveBlobs, storeBlobSource } from '../p2p/blobServer.ts';
import { type ConcordHost, createHost } from '../p2p/createHost.ts';
import { trackKnownPeers } from '../p2p/knownPeers.ts';
import { loadOrCreatePeerKey } from '../p2p/peerKey.ts';
import { servePieces } from '../p2p/piecesServer.ts';
import { Redialer } from '../p2p/redialer.ts';
import { TaskGossip } from '../p2p/taskGossip.ts';
import { openStore, type Store } from '../store/openStore.ts';
import { createTaskKindRegistry } from '../tasks/builtin.ts';
import { activeNodePeers } from './activePeers.ts';
import { createApi, listenApi } from './api/createApi.ts';
import { allowedHosts } from './api/hostAllowlist.ts';
import type { ApiDeps } from './api/types.ts';
import { createBlobAuthorizer } from './blobAccess.ts';
import { cachedChainNow } from './chainTime.ts';
import { connectedPeers } from './connectedPeers.ts';
import { createTaskFromSpec, gatherPoolInputs } from './createTaskFromSpec.ts';
import { ensureDataDir } from './dataDir.ts';
import { ensureModelMemory } from './ensureModelMemory.ts';
import { ensureRegistered } from './ensureRegistered.ts';
import { assertServing, checkHealth } from './health.ts';
import { type AdmissionLimits, CompletionAdmission } from './inference/completionAdmission.ts';
import { CreditReservations } from './inference/creditReservations.ts';
import { createModelService, type NodeModelService } from './inference/modelService.ts';
import type { ModelService } from './inference/types.ts';
import { loadOrCreateApiToken, loadOrCreateNodeKeys } from './keys.ts';
import type { LineLog } from './logger.ts';
import { createNodeMetrics } from './metrics.ts';
import { storePieceSources } from './pieceSources.ts';
import type { Secret } from './secret.ts';
import { listTaskViews, readTaskView } from './taskViews.ts';
import { createTxLock } from './txLock.ts';
import { exchangePool } from './worker/exchange.ts';
import type { TaskPolicy } from './worker/taskPolicy.ts';
import { type CrashPoint, Worker } from './worker/worker.ts';

/** How to run a node (what `concord node start` parses). */
export type NodeConfig = {
  /** EVM JSON-RPC URL. */
  rpcUrl: string;
  /** The deployment JSON (`concord chain up` writes one). */
  deploymentFile: string;
  /** The data directory (keys, token, store, blobs). */
  dataDir: string;
  /** An existing EVM key file to use instead of `<data>/keys/evm.key`. */
  keyFile?: string | undefined;
  /** libp2p listen multiaddrs. */
  listen: string[];
  /** Multiaddrs (with `/p2p/<id>`) to join through. */
  bootstrap: string[];
  /** API port (0 = any free port). */
  apiPort: number;
  /** API host; 127.0.0.1 unless told otherwise. */
  apiHost?: string | undefined;
  /** `Host` names the API answers besides the loopback names and `apiHost` (`*`: any); see `allowedHosts`. */
  apiAllowedHosts?: readonly string[] | undefined;
  /** Stake to keep active, in token units (default: the registry's minimum). */
  stake?: bigint | undefined;
  /** Worker round interval in ms. */
  pollIntervalMs?: number | undefined;
  /** How long to wait at start for an unreachable chain, in ms (default `DEFAULT_CHAIN_WAIT_MS`, 60 s). */
  chainWaitMs?: number | undefined;
  /** Longest delay between redials of a lost peer, in ms (default `DEFAULT_REDIAL_MAX_MS`, 60 s). */
  redialMaxMs?: number | undefined;
  /** The terms on which the worker takes tasks (default `DEFAULT_TASK_POLICY`). */
  taskPolicy?: TaskPolicy | undefined;
  /** Blocks on top before the worker counts a block's contents as confirmed (default `DEFAULT_CONFIRMATIONS`). */
  confirmations?: number | undefined;
  /** Hosts per shard of every served model version (default 1). */
  replicas?: number | undefined;
  /** Ranked standbys per shard (default 1). */
  standbys?: number | undefined;
  /** Row shards each weight matrix is cut into (default 4). */
  shardsPerMatrix?: number | undefined;
  /** Most model-weight bytes this node hosts, announced on chain at start (default 0n = unlimited). */
  maxModelMemory?: bigint | undefined;
  /** The price this node's gateway asks per generated token, in credits (default 1). */
  creditsPerToken?: bigint | undefined;
  /** How many completions the gateway runs and queues at once (default `DEFAULT_ADMISSION_LIMITS`). */
  admission?: Partial<AdmissionLimits> | undefined;
  /** Tests only: commit wrong results, and serve partial products from perturbed weights. */
  lie?: boolean | undefined;
  /** Tests only: replay another member's commitment instead of computing. */
  lazy?: boolean | undefined;
  /** Tests only: kill the process at this point of the first commit. */
  crashAfter?: CrashPoint | undefined;
  /** Where log lines go (never keys): `createNodeLogger(...).line`, or any collector in tests. */
  log: LineLog;
  /** Package version shown by `/health`. */
  version: string;
  /** Adds routes to the API before it listens (the CLI mounts the dashboard this way). */
  extendApi?: ((app: FastifyInstance, deps: ApiDeps, ctx: ConcordContext, store: Store) => void) | undefined;
};

/** What a node publishes about itself in `<data>/node.json` (no secrets) for `concord node status` and tests. */
export type NodeInfo = {
  pid: number;
  address: Address;
  peerId: string;
  multiaddrs: string[];
  /** The API's URL for a client on this machine (loopback when the API binds every interface). */
  apiUrl: string;
  /** Every URL the API answers at, those other machines can use first and loopback last. */
  apiUrls: string[];
  /** The model memory cap the node announced on chain, in bytes as a decimal string ("0" = unlimited). */
  maxModelMemory: string;
};

/** A started node; `stop()` shuts everything down in order. */
export type RunningNode = NodeInfo & {
  ctx: ConcordContext;
  store: Store;
  host: ConcordHost;
  worker: Worker;
  /** Model serving: the registry's newest model, its shards on this node and its gateway. */
  models: ModelService;
  /** The price this node's gateway asks per generated token, in credits. */
  creditsPerToken: bigint;
  api: FastifyInstance;
  apiToken: Secret;
  stop(): Promise<void>;
};

/** The price a gateway asks per generated token unless told otherwise: one credit (credits are whole units, bought at `AccessCredits.pricePerCredit` tokens each). */
export const DEFAULT_CREDITS_PER_TOKEN = 1n;

/** The file a running node describes itself in. */
export function nodeInfoFile(dataDir: string): string {
  return join(dataDir, 'node.json');
}

/**
 * Starts a node: keys and API token, chain connection, store, libp2p host
 * (dialing its bootstrap list and the peers it remembers, redialing the
 * active nodes among them when they are lost) with the blob server (rights
 * checked on chain) and task gossip,
 * registration and stake, the worker, model serving and the HTTP API.
 */
export async function startNode(config: NodeConfig): Promise<RunningNode> {
  const paths = ensureDataDir(config.dataDir);
  const keys = loadOrCreateNodeKeys(config.dataDir, { keyFile: config.keyFile });
  const apiToken = loadOrCreateApiToken(config.dataDir);
  const deployment = readDeployment(config.deploymentFile);
  const ctx = await createConcordContext({
    rpcUrl: config.rpcUrl,
    privateKey: keys.privateKey.reveal(),
    deployment,
    chainWaitMs: config.chainWaitMs ?? DEFAULT_CHAIN_WAIT_MS,
    onChainWait: config.log,
  });
  const kinds = createTaskKindRegistry();
  const store = openStore(config.dataDir);
  const cleanup: (() => Promise<void> | void)[] = [() => store.close()];
  const stopAll = async () => {
    for (const fn of cleanup.reverse()) await fn();
  };
  try {
    const peerKey = await loadOrCreatePeerKey(paths.keysDir);
    const host = await createHost({
      privateKey: peerKey,
      listen: config.listen,
      bootstrap: config.bootstrap,
    });
    cleanup.push(() => host.stop());
    cleanup.push(trackKnownPeers(host, store.peers, config.log));
    await dialBootstrap(host, config.bootstrap, config.log);
    const isActiveNode = activeNodePeers(ctx);
    const redialer = new Redialer(host, store.peers, {
      maxDelayMs: config.redialMaxMs,
      wanted: isActiveNode,
      log: config.log,
    });
    redialer.start(); // dials the remembered peers too
    cleanup.push(() => redialer.stop());
    let models: NodeModelService | undefined;
    const authorizer = createBlobAuthorizer({
      ctx,
      blobs: store.blobs,
      kinds,
      mayHost: async (query) => (await models?.mayFetchCheckpoint(query)) ?? false,
    });
    const server: BlobServer = await serveBlobs(host, {
      chainId: ctx.chain.id,
      authorize: authorizer,
      source: storeBlobSource(store.blobs),
      chainTime: cachedChainNow(ctx),
    });
    const pieceSources = storePieceSources(store.blobs);
    const pieces = await servePieces(host, {
      chainId: ctx.chain.id,
      sources: pieceSources,
      authorize: authorizer,
      chainTime: cachedChainNow(ctx),
    });
    cleanup.push(() => pieces.stop());
    const gossip = new TaskGossip(host.services.pubsub, ctx.chain.id);
    gossip.start();
    cleanup.push(() => gossip.stop());
    const registration = await ensureRegistered(ctx, peerKey, config.stake);
    if (registration.registered)
      config.log(`registered ${keys.address} as ${host.peerId} with stake ${registration.stake}`);
    const memory = await ensureModelMemory(ctx, config.maxModelMemory ?? 0n);
    if (memory.changed) config.log(`announced a model memory cap of ${memory.bytes} bytes (0 = unlimited)`);
    const metrics = createNodeMetrics({
      taskStates: () => store.journal.countByState(),
      blobBytesServed: () => server.stats.bytesServed,
      gossip: () => ({ accepted: gossip.stats.received, dropped: gossip.stats.invalid }),
      connectedPeers: () => peers().length,
    });
    const txLock = createTxLock();
    const worker = new Worker(
      { ctx, store, blobs: store.blobs, host, kinds, metrics, txLock, log: config.log },
      {
        fromBlock: deployment.deployedAt,
        pollIntervalMs: config.pollIntervalMs,
        confirmations: config.confirmations,
        policy: config.taskPolicy,
        lie: config.lie ?? false,
        lazy: config.lazy ?? false,
        crashAfter: config.crashAfter,
      },
    );
    gossip.onAnnouncement((a) => worker.poke(a.taskId));
    worker.start();
    cleanup.push(() => worker.stop());
    const modelService = createModelService(
      { ctx, host, blobs: store.blobs, pieces: pieceSources, log: config.log, metrics: metrics.inference },
      {
        replicas: config.replicas,
        standbys: config.standbys,
        shardsPerMatrix: config.shardsPerMatrix,
        lie: config.lie ?? false,
      },
    );
    models = modelService;
    cleanup.push(() => modelService.stop());
    const ownPeerIds = () =>
      new Set([host.peerId.toString(), modelService.gatewayPeerId()].filter((id) => id !== undefined));
    const peers = () => connectedPeers(host.getConnections(), ownPeerIds());
    const deps: ApiDeps = {
      version: config.version,
      apiToken,
      metrics,
      health: async () => {
        const checks = await checkHealth({
          ctx,
          connectedPeers: () => host.getConnections().length,
          dataDir: config.dataDir,
        });
        assertServing(checks);
        return {
          peerId: host.peerId.toString(),
          address: keys.address,
          chainId: ctx.chain.id,
          chainHead: BigInt(checks.chain.head!),
          checks,
        };
      },
      listTasks: (query) => listTaskViews(ctx, kinds, query),
      getTask: (id) => readTaskView(ctx, kinds, id),
      createTask: async (request) => {
        // Fetched before the transaction lock: the node's commits and reveals do not wait for it.
        await gatherPoolInputs(
          {
            blobs: store.blobs,
            kinds,
            fetchPoolWinners: (pool) => exchangePool({ ctx, blobs: store.blobs, host }, pool),
          },
          request,
        );
        const created = await txLock.run(() =>
          createTaskFromSpec(ctx, { blobs: store.blobs, kinds }, request),
        );
        store.journal.follow(created.taskId); // finalized and refunded by this node whatever happens next
        await gossip
          .publish({
            type: 'task-created',
            chainId: ctx.chain.id,
            taskId: created.taskId,
            from: keys.address,
          })
          .catch(() => undefined);
        return created;
      },
      peers: async () =>
        Promise.all(
          peers().map(async (p) => ({ ...p, node: await isActiveNode(p.peerId).catch(() => false) })),
        ),
      putBlob: async (bytes) => store.blobs.putBlob(bytes),
      putModel: async (bytes) => store.blobs.putModel(bytes),
    };
    const creditsPerToken = config.creditsPerToken ?? DEFAULT_CREDITS_PER_TOKEN;
    const apiHost = config.apiHost ?? '127.0.0.1';
    const completions = {
      models: modelService,
      ctx,
      txLock,
      store,
      apiToken,
      creditsPerToken,
      reservations: new CreditReservations(),
      admission: new CompletionAdmission(config.admission),
      metrics,
      log: config.log,
    };
    const api = createApi(
      { ...deps, completions },
      {
        allowedHosts: allowedHosts(apiHost, config.apiAllowedHosts),
        onServerError: (err, status) =>
          status === 500
            ? config.log(`api: internal error: ${errorLine(err)}`, 'error')
            : config.log(`api: ${status} ${errorLine(err)}`, 'warn'),
      },
    );
    config.extendApi?.(api, deps, ctx, store);
    cleanup.push(() => api.close());
    const apiUrls = reachableUrls(await listenApi(api, { host: apiHost, port: config.apiPort }));
    const info: NodeInfo = {
      pid: process.pid,
      address: keys.address,
      peerId: host.peerId.toString(),
      multiaddrs: host.getMultiaddrs().map((m) => m.toString()),
      apiUrl: apiUrls[apiUrls.length - 1]!,
      apiUrls,
      maxModelMemory: memory.bytes.toString(),
    };
    // Written whole, then renamed: a reader polling for the file never sees half of it.
    const infoFile = nodeInfoFile(config.dataDir);
    writeFileSync(`${infoFile}.tmp`, `${JSON.stringify(info, null, 2)}\n`);
    renameSync(`${infoFile}.tmp`, infoFile);
    config.log(`node ${info.address} peer ${info.peerId} api ${apiUrls.join(' ')}`);
    config.log(`listening on ${info.multiaddrs.join(' ')}`);
    return {
      ...info,
      ctx,
      store,
      host,
      worker,
      models: modelService,
      creditsPerToken,
      api,
      apiToken,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Dials the bootstrap peers at once (the bootstrap service waits before its first dial); failures are logged. */
async function dialBootstrap(host: ConcordHost, addrs: readonly string[], log: LineLog): Promise<void> {
  await Promise.all(
    addrs.map(async (addr) => {
      try {
        await host.dial(multiaddr(addr), { signal: AbortSignal.timeout(10_000) });
      } catch (err) {
        log(`bootstrap ${addr}: ${errorLine(err)}`, 'warn');
      }
    }),
  );
}
