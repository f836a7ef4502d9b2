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
};

/** Reads the chain id from the node and builds a viem chain for it. */
export async function connectChain(rpcUrl: string): Promise<Chain> {
  let id: number;
  try {
    const probe = createPublicClient({ transport: http(rpcUrl, { retryCount: 1, timeout: 5000 }) });
    id = await probe.getChainId();
  } catch (cause) {
    throw new ChainConnectionError(`Cannot read the chain id from ${rpcUrl}.`, {
      cause,
      hint: 'Check that the node runs (`concord chain up`) and that the URL is right.',
    });
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
  const chain = await connectChain(params.rpcUrl);
  const pollingInterval = params.pollingInterval ?? 25;
  // Concurrent requests (reads of many tasks) go out as one JSON-RPC batch.
  const transport = http(params.rpcUrl, { batch: { batchSize: 200 } });
  const account = privateKeyToAccount(params.privateKey);
  return {
    chain,
    account,
    pollingInterval,
    publicClient: createPublicClient({ chain, transport, pollingInterval, cacheTime: 0 }),
    walletClient: createWalletClient({ chain, transport, account, pollingInterval, cacheTime: 0 }),
  };
}
