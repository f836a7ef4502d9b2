import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { ChainConnectionError, InvalidPrivateKeyError } from './errors.ts';
import { errorLine, isTransientRpcError } from './rpcErrors.ts';

/** A connection to an EVM chain with one signing account. Every action takes it first. */
export type ConcordClients = {
  chain: Chain;
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, PrivateKeyAccount>;
  /** The local signer; keys never leave this process. */
  account: PrivateKeyAccount;
  /** Milliseconds between receipt polls (a few tens on a local node). */
  pollingInterval: number;
};

/** Parameters of {@link createConcordClients}. */
export type CreateConcordClientsParameters = {
  /** Any EVM JSON-RPC HTTP endpoint. */
  rpcUrl: string;
  /** The signer's secp256k1 key, 0x + 64 hex digits. */
  privateKey: Hex;
  /** Receipt polling interval in ms (default 25: local nodes mine at once). */
  pollingInterval?: number;
} & ConnectChainOptions;

/**
 * How every request of the clients is retried by viem's HTTP transport:
 * up to 4 more attempts after a connection failure, timeout, HTTP
 * 408/429/5xx or rate-limit answer, 150, 300, 600 and 1200 ms apart (2.25 s
 * of back-off in all), each attempt abandoned after 10 s. Reads are
 * idempotent, so this is always safe; `eth_sendRawTransaction` is never
 * retried by the transport (viem sends it once) and is re-sent by
 * `send.ts` instead, with the same signed bytes.
 */
export const RPC_TRANSPORT = { retryCount: 4, retryDelay: 150, timeout: 10_000 } as const;

/**
 * How long a node (`concord node start`, a long-running process) waits at start for an unreachable
 * chain unless told otherwise. One-shot commands do not wait: they fail at once with a clear error.
 */
export const DEFAULT_CHAIN_WAIT_MS = 60_000;

/** How {@link connectChain} waits for a chain that is not up yet. */
export type ConnectChainOptions = {
  /** Give up after this many ms of failed probes (default 0: probe once; a node waits {@link DEFAULT_CHAIN_WAIT_MS}). */
  chainWaitMs?: number | undefined;
  /** Told once, at the first failed probe, what is being waited for. */
  onChainWait?: ((line: string) => void) | undefined;
};

/** First and longest pause between start-up probes. */
const PROBE_DELAY_MS = { first: 250, max: 5000 } as const;

/**
 * Reads the chain id from the node and builds a viem chain for it. An
 * endpoint that does not answer (no connection, timeout, HTTP 5xx) is probed again with back-off (250 ms
 * doubling to 5 s) for up to `chainWaitMs`, saying once through
 * `onChainWait` what it waits for; then {@link ChainConnectionError}.
 */
export async function connectChain(rpcUrl: string, options: ConnectChainOptions = {}): Promise<Chain> {
  const waitMs = options.chainWaitMs ?? 0;
  const deadline = Date.now() + waitMs;
  const probe = createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: 5000 }) });
  let id: number | undefined;
  for (let delay: number = PROBE_DELAY_MS.first, told = false; id === undefined; ) {
    try {
      id = await probe.getChainId();
    } catch (cause) {
      if (!isTransientRpcError(cause) || Date.now() + delay > deadline) {
        throw new ChainConnectionError(`Cannot read the chain id from ${rpcUrl}.`, {
          cause,
          details: `${errorLine(cause)} (waited ${Math.round(waitMs / 1000)} s)`,
          hint: 'Check that the node runs (`concord chain up`) and that the URL is right; --chain-wait sets how long to wait.',
        });
      }
      if (!told) {
        options.onChainWait?.(
          `chain: waiting up to ${Math.round(waitMs / 1000)} s for ${rpcUrl} (${errorLine(cause)})`,
        );
        told = true;
      }
      await sleep(delay);
      delay = Math.min(delay * 2, PROBE_DELAY_MS.max);
    }
  }
  return defineChain({
    id,
    name: `concord-${id}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

/** Makes viem public and wallet clients for `rpcUrl`, signing locally with `privateKey`. */
export async function createConcordClients(params: CreateConcordClientsParameters): Promise<ConcordClients> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(params.privateKey)) {
    throw new InvalidPrivateKeyError('The private key is not 0x followed by 64 hex digits.', {
      hint: 'Pass the 32-byte secp256k1 key in hex, e.g. from `concord` key files.',
    });
  }
  const chain = await connectChain(params.rpcUrl, params);
  const pollingInterval = params.pollingInterval ?? 25;
  // Concurrent requests (reads of many tasks) go out as one JSON-RPC batch.
  const transport = http(params.rpcUrl, { batch: { batchSize: 200 }, ...RPC_TRANSPORT });
  const account = privateKeyToAccount(params.privateKey);
  return {
    chain,
    account,
    pollingInterval,
    publicClient: createPublicClient({ chain, transport, pollingInterval, cacheTime: 0 }),
    walletClient: createWalletClient({ chain, transport, account, pollingInterval, cacheTime: 0 }),
  };
}
