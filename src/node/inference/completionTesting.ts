import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Address, type Hex, type LocalAccount, parseEther, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { sharesAbi } from '../../../generated/contracts/index.ts';
import { buyCredits } from '../../chain/actions/buyCredits.ts';
import { createModel } from '../../chain/actions/createModel.ts';
import { creditsOf } from '../../chain/actions/creditsOf.ts';
import { depositCredits } from '../../chain/actions/depositCredits.ts';
import { depositOf } from '../../chain/actions/depositOf.ts';
import type { ConcordContext } from '../../chain/context.ts';
import { devAccount } from '../../chain/devAccounts.ts';
import { type DevChain, startDevChain } from '../../chain/devChain.ts';
import { sendAs } from '../../chain/devRpc.ts';
import { type InferenceRequest, signRequest } from '../../chain/inferenceRequest.ts';
import { type InferenceRequestJson, requestToJson } from '../../chain/requestJson.ts';
import {
  startTestInferenceNetwork,
  type TestInferenceNetwork,
  type TestInferenceNetworkOptions,
} from '../../inference/testing.ts';
import { CharTokenizer, GptParams, makeGptConfig } from '../../model/index.ts';
import type { Store } from '../../store/openStore.ts';
import { createApi } from '../api/createApi.ts';
import { inert } from '../api/inert.ts';
import type { NodeApiDeps } from '../api/routeGroups.ts';
import type { CompletionRouteDeps } from '../api/routes/openaiRoute.ts';
import { chainNow } from '../chainTime.ts';
import { createNodeMetrics } from '../metrics.ts';
import { Secret } from '../secret.ts';
import { createTxLock } from '../txLock.ts';
import { CompletionAdmission } from './completionAdmission.ts';
import { CreditReservations } from './creditReservations.ts';
import { lyingParams } from './lyingParams.ts';
import { creditsDomain } from './querier.ts';
import type { ModelService, ServedModel, ServedModelStatus } from './types.ts';

/** Name of the ready model of the completion test bed. */
export const TEST_MODEL = 'tiny-char';
/** Name of the bed's second ready model: three replicas per shard, the first host lying. */
export const LIAR_MODEL = 'tiny-char-r3';
/** Name of a model the test bed's service knows but is still loading. */
export const LOADING_MODEL = 'warming-up';
/** The price the test bed's gateway asks per token. */
export const TEST_CREDITS_PER_TOKEN = 2n;
/** The API token of the test bed's node. */
export const TEST_API_TOKEN = 'test-api-token';
/** Stake of every registered account of the test bed. */
export const TEST_HOST_STAKE = parseEther('1000');
/** Dev accounts of the inference hosts (registered, staked); 1 is the gateway node, 2 the querier. */
const HOST_DEV_ACCOUNTS = [3, 4, 5];

/** A chain, an inference network serving a tiny character model, and the node deps for the completion routes. */
export type CompletionTestBed = {
  chain: DevChain;
  net: TestInferenceNetwork;
  served: ServedModel;
  /** {@link LIAR_MODEL}: the same parameters on three hosts, each shard asked of all three; host 0 serves wrong rows. */
  liar: ServedModel;
  /** The lying host of {@link liar}. */
  liarHost: Address;
  /** The three-host network behind {@link liar}. */
  liarNet: TestInferenceNetwork;
  models: ModelService;
  /** The node: gateway of every session (dev actor 1, with credits for self-paid completions). */
  gateway: ConcordContext;
  /** A querier with credits (dev actor 2). */
  querier: ConcordContext;
  /** The node's data directory (its store). */
  dataDir: string;
  /**
   * Another loopback network serving {@link TEST_MODEL}'s version (same
   * parameters, host accounts, plan and model id, so its sessions settle like
   * the bed's), with the gateway's `options` changed,
   * and a ModelService that serves it as {@link TEST_MODEL}. Stopped with the bed.
   */
  serveAgain(options?: Partial<Pick<TestInferenceNetworkOptions, 'gateway'>>): Promise<{
    net: TestInferenceNetwork;
    served: ServedModel;
    models: ModelService;
  }>;
  /** Route deps over `store` (the test bed opens one; pass another to simulate a restart). */
  deps(store: Store, overrides?: Partial<CompletionRouteDeps>): CompletionRouteDeps;
  /** The node's API (`createApi`) with these completion deps; its other operations are stand-ins that refuse calls. */
  app(deps: CompletionRouteDeps): FastifyInstance;
  stop(): Promise<void>;
};

/**
 * The ModelService of a node that serves `served` models and knows one more
 * that is still loading: enough for the routes, with real gateways behind it.
 */
function fixedModelService(served: readonly ServedModel[]): ModelService {
  const statusOf = (m: ServedModel): ServedModelStatus => ({
    modelId: m.modelId.toString(),
    versionIndex: m.versionIndex.toString(),
    name: m.name,
    digest: m.digest,
    state: 'ready',
    replicas: m.plan.parameters.replicas,
    hostedShards: 0,
    hostedBytes: 0,
    hosts: m.plan.parameters.hosts.map((h) => h.address),
  });
  const first = served[0]!;
  const loading: ServedModelStatus = {
    ...statusOf(first),
    modelId: '999',
    name: LOADING_MODEL,
    state: 'loading',
  };
  return {
    status: () => [loading, ...served.map(statusOf)],
    resolve(model) {
      const found = served.find(
        (m) => model === undefined || model === m.name || model === m.modelId.toString(),
      );
      if (found === undefined) throw new Error(`model ${model} is not served`);
      return found;
    },
    refresh: async () => undefined,
    stop: async () => undefined,
  };
}

/**
 * Starts the completion test bed: anvil with Concord, registered and staked
 * host accounts, two models registered in ModelRegistry whose genesis digest
 * is the served parameters' — {@link TEST_MODEL} on two in-process hosts over
 * loopback libp2p (one replica, one standby) and {@link LIAR_MODEL} on three
 * (three replicas, host 0 lying) — hosts signing for the chain's
 * InferenceSettlement, and credits for the node and the querier (half of the
 * querier's deposited for the node as its gateway). For tests of
 * the completion routes and `concord ask`.
 */
export async function startCompletionTestBed(): Promise<CompletionTestBed> {
  const chain = await startDevChain({
    actors: Math.max(...HOST_DEV_ACCOUNTS),
    registerStake: TEST_HOST_STAKE,
    deploy: { pricePerCredit: 1000n },
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'concord-completions-'));
  const nets: TestInferenceNetwork[] = [];
  try {
    const [gateway, querier] = chain.actors as [ConcordContext, ConcordContext];
    await makeShareHolder(chain.deployer, chain.deployer.account.address);
    await buyCredits(gateway, { credits: 100_000n });
    await buyCredits(querier, { credits: 100_000n });
    await depositCredits(querier, { gateway: gateway.account.address, credits: 50_000n });
    const tokenizer = CharTokenizer.printableAscii();
    const config = makeGptConfig({
      vocabSize: tokenizer.vocabSize,
      contextLength: 24,
      dModel: 16,
      nHeads: 2,
      nLayers: 1,
    });
    const params = GptParams.init(config, 11);
    const accounts = HOST_DEV_ACCOUNTS.map((i) => privateKeyToAccount(devAccount(i).privateKey));
    const common = {
      params,
      sharding: { shardsPerMatrix: 2 },
      accounts,
      stake: () => TEST_HOST_STAKE,
      domain: {
        chainId: chain.deployer.chain.id,
        settlement: chain.deployment.addresses.inferenceSettlement,
      },
    };
    const serve = async (name: string, net: TestInferenceNetwork): Promise<ServedModel> => {
      nets.push(net);
      const digest = net.plan.parameters.modelDigest;
      const { modelId } = await createModel(chain.deployer, { name, genesisDigest: digest });
      return {
        modelId,
        versionIndex: 0n,
        name,
        digest,
        params,
        tokenizer,
        plan: net.plan,
        gateway: net.gateway,
        host: null,
        draft: undefined,
      };
    };
    const testNetwork = { ...common, hosts: 2, replicas: 1, standbys: 1 };
    const served = await serve(TEST_MODEL, await startTestInferenceNetwork(testNetwork));
    const lying = lyingParams(params);
    const liar = await serve(
      LIAR_MODEL,
      await startTestInferenceNetwork({
        ...common,
        hosts: 3,
        replicas: 3,
        standbys: 0,
        servedParams: (i) => (i === 0 ? lying : undefined),
      }),
    );
    const models = fixedModelService([served, liar]);
    const txLock = createTxLock();
    const stopAll = async () => {
      await Promise.all(nets.map((n) => n.stop()));
      await chain.stop();
      rmSync(dataDir, { recursive: true, force: true });
    };
    return {
      chain,
      net: nets[0]!,
      served,
      liar,
      liarHost: accounts[0]!.address,
      liarNet: nets[1]!,
      models,
      gateway,
      querier,
      dataDir,
      async serveAgain(options = {}) {
        const net = await startTestInferenceNetwork({ ...testNetwork, ...options });
        nets.push(net);
        const again: ServedModel = { ...served, plan: net.plan, gateway: net.gateway };
        return { net, served: again, models: fixedModelService([again]) };
      },
      deps: (store, overrides = {}) => ({
        models,
        ctx: gateway,
        txLock,
        store,
        apiToken: new Secret(TEST_API_TOKEN),
        creditsPerToken: TEST_CREDITS_PER_TOKEN,
        reservations: new CreditReservations(),
        admission: new CompletionAdmission(),
        log: () => undefined,
        ...overrides,
      }),
      app: (deps) =>
        createApi(
          inert<NodeApiDeps>('api', {
            version: 'test',
            apiToken: deps.apiToken,
            metrics: createNodeMetrics(),
            completions: deps,
          }),
        ),
      stop: stopAll,
    };
  } catch (err) {
    await Promise.all(nets.map((n) => n.stop()));
    await chain.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** Gives `holder` one share unit, minted as TaskMarket would (credit payments need a share holder to go to). */
async function makeShareHolder(deployer: ConcordContext, holder: Address): Promise<void> {
  await sendAs(deployer, deployer.addresses.taskMarket, {
    address: deployer.addresses.shares,
    abi: sharesAbi,
    functionName: 'mint',
    args: [holder, 1n, 1n],
  });
}

/** The credits `ctx` holds: its balance plus its deposit for the bed's gateway (what a session debits). */
export async function heldCredits(
  bed: Pick<CompletionTestBed, 'gateway'>,
  ctx: ConcordContext,
): Promise<bigint> {
  const d = await depositOf(ctx, { querier: ctx.account.address, gateway: bed.gateway.account.address });
  return (await creditsOf(ctx)) + d.granted + d.bought;
}

/**
 * A request of `signer` for the bed's {@link TEST_MODEL} through the bed's
 * gateway (a fresh random nonce, deadline ten minutes ahead, a cap of 1000
 * credits unless `overrides` say otherwise), its signature, and the
 * `concord` field of a completion body carrying both.
 */
export async function signedCompletion(
  bed: Pick<CompletionTestBed, 'gateway' | 'served'>,
  signer: Pick<LocalAccount, 'address' | 'signTypedData'>,
  overrides: Partial<InferenceRequest> = {},
): Promise<{
  request: InferenceRequest;
  signature: Hex;
  body: { concord: { request: InferenceRequestJson; signature: Hex } };
}> {
  const request: InferenceRequest = {
    querier: signer.address,
    gateway: bed.gateway.account.address,
    modelId: bed.served.modelId,
    versionIndex: bed.served.versionIndex,
    creditsPerToken: TEST_CREDITS_PER_TOKEN,
    maxCredits: 1000n,
    nonce: BigInt(toHex(crypto.getRandomValues(new Uint8Array(16)))),
    deadline: BigInt((await chainNow(bed.gateway)) + 600),
    ...overrides,
  };
  const signature = await signRequest(signer, request, creditsDomain(bed.gateway));
  return { request, signature, body: { concord: { request: requestToJson(request), signature } } };
}
