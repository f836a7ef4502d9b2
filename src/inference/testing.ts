import type { Address, Hex, PrivateKeyAccount } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { InferenceDomain } from '../chain/inferenceStatement.ts';
import { digestBytes } from '../core/digest.ts';
import type { GptParams } from '../model/index.ts';
import type { ConcordHost } from '../p2p/createHost.ts';
import { startTestHost } from '../p2p/testing.ts';
import type { SessionAdmission } from './admission.ts';
import { gptExchanges } from './exchange.ts';
import { InferenceGateway, type InferenceGatewayInit } from './gateway.ts';
import { type InferenceHost, type InferenceHostInit, serveInference } from './host.ts';
import { hostedShardsFromParams } from './hostedShards.ts';
import { planShards, type Sharding, type ShardPlan } from './planner.ts';

/** Chain id the test networks sign for. */
export const TEST_CHAIN_ID = 31337;
/** The signature domain of the test networks (no settlement contract). */
export const TEST_DOMAIN: InferenceDomain = { chainId: TEST_CHAIN_ID };

/** The model digest a test network plans with: the digest of the params' bytes. */
export function paramsDigest(params: GptParams): Hex {
  const flat = params.flat;
  return digestBytes(new Uint8Array(flat.buffer, flat.byteOffset, flat.byteLength));
}

/** An admission policy that serves every session (test networks without a chain). */
export const admitEverySession: SessionAdmission = async () => undefined;

/** One in-process inference host of a test network. */
export type TestInferenceHost = {
  readonly account: PrivateKeyAccount;
  readonly libp2p: ConcordHost;
  readonly server: InferenceHost;
};

/** Options of `startTestInferenceNetwork`. */
export type TestInferenceNetworkOptions = {
  params: GptParams;
  hosts: number;
  replicas: number;
  standbys: number;
  sharding: Sharding;
  /** Per host index, the parameters it serves from instead of `params` (a lying host). */
  servedParams?: (index: number) => GptParams | undefined;
  /** Per host index, a key that signs instead of the registered one (a forging host). */
  forgeSignatures?: (index: number) => boolean;
  /** The hosts' keys by index, e.g. registered anvil dev accounts (default: fresh random keys). */
  accounts?: readonly PrivateKeyAccount[];
  /** Where hosts sign (default {@link TEST_DOMAIN}); include the InferenceSettlement address to settle on chain. */
  domain?: InferenceDomain;
  /** Whether hosts serve a session (default {@link admitEverySession}). */
  admit?: SessionAdmission;
  /** Concurrent inbound inference streams each host accepts per connection (default the host's). */
  maxInboundStreams?: number;
  /**
   * Per host index, its init as the test wants it (e.g. an admission or a
   * signer that waits: a slow host, or one that stops mid-answer); default as built.
   */
  hostInit?: (index: number, init: InferenceHostInit, libp2p: ConcordHost) => InferenceHostInit;
  gateway?: Partial<Omit<InferenceGatewayInit, 'host' | 'domain' | 'plan' | 'params' | 'peers'>>;
};

/** A running loopback network: hosts, a gateway host and the plan; `stop()` stops the hosts and closes every libp2p node. */
export type TestInferenceNetwork = {
  readonly plan: ShardPlan;
  readonly hosts: readonly TestInferenceHost[];
  readonly gatewayHost: ConcordHost;
  readonly gateway: InferenceGateway;
  stop(): Promise<void>;
};

/** The plan a test network of these host addresses runs (equal stakes), e.g. to pick a host by its shards before starting it. */
export function testNetworkPlan(
  options: Pick<TestInferenceNetworkOptions, 'params' | 'replicas' | 'standbys' | 'sharding'>,
  hosts: readonly Address[],
): ShardPlan {
  return planShards({
    modelDigest: paramsDigest(options.params),
    matrices: gptExchanges(options.params.config),
    hosts: hosts.map((address) => ({ address, stake: 100n })),
    replicas: options.replicas,
    standbys: options.standbys,
    sharding: options.sharding,
  });
}

/**
 * Starts `hosts` libp2p inference hosts and a gateway on 127.0.0.1 in this
 * process, with equal stakes, a plan over the model's matrices, and each host
 * serving (and standing by for) its shards as views of the params. For tests
 * and benchmarks.
 */
export async function startTestInferenceNetwork(
  options: TestInferenceNetworkOptions,
): Promise<TestInferenceNetwork> {
  const domain = options.domain ?? TEST_DOMAIN;
  const accounts = Array.from(
    { length: options.hosts },
    (_, i) => options.accounts?.[i] ?? privateKeyToAccount(generatePrivateKey()),
  );
  const plan = testNetworkPlan(
    options,
    accounts.map((a) => a.address),
  );
  const hosts: TestInferenceHost[] = [];
  for (const [i, account] of accounts.entries()) {
    const libp2p = await startTestHost();
    const signer = options.forgeSignatures?.(i) ? privateKeyToAccount(generatePrivateKey()) : account;
    const served = options.servedParams?.(i) ?? options.params;
    const init: InferenceHostInit = {
      domain,
      signer,
      model: plan.parameters.modelDigest,
      config: options.params.config,
      admit: options.admit ?? admitEverySession,
      shards: hostedShardsFromParams(served, plan, account.address),
      ...(options.maxInboundStreams === undefined ? {} : { maxInboundStreams: options.maxInboundStreams }),
    };
    const server = await serveInference(libp2p, options.hostInit?.(i, init, libp2p) ?? init);
    hosts.push({ account, libp2p, server });
  }
  const gatewayHost = await startTestHost();
  const peers = new Map<Address, ReturnType<ConcordHost['getMultiaddrs']>>(
    hosts.map((h) => [h.account.address, h.libp2p.getMultiaddrs()]),
  );
  const gateway = new InferenceGateway({
    host: gatewayHost,
    domain,
    plan,
    params: options.params,
    peers,
    ...options.gateway,
  });
  return {
    plan,
    hosts,
    gatewayHost,
    gateway,
    async stop() {
      await gateway.close();
      await Promise.all(hosts.map((h) => h.server.stop())); // frees the shards' kernel memory
      await Promise.all([gatewayHost.stop(), ...hosts.map((h) => h.libp2p.stop())]);
    },
  };
}
