import { type Address, encodeFunctionData, type Hex, type TransactionReceipt } from 'viem';
import type { ConcordClients } from './client.ts';
import { type ContractCall, toRevertError } from './send.ts';

type RawRequest = (args: { method: string; params?: unknown[] }) => Promise<unknown>;

/**
 * Moves a dev chain's clock forward by `seconds` and mines a block, so
 * deadlines pass (anvil/hardhat `evm_increaseTime`; not for real networks).
 */
export async function increaseTime(
  clients: Pick<ConcordClients, 'publicClient'>,
  seconds: number,
): Promise<void> {
  const request = clients.publicClient.request as unknown as RawRequest;
  await request({ method: 'evm_increaseTime', params: [seconds] });
  await request({ method: 'evm_mine', params: [] });
}

/** Mines `blocks` empty blocks on a dev chain (`anvil_mine`). */
export async function mineBlocks(
  clients: Pick<ConcordClients, 'publicClient'>,
  blocks: number,
): Promise<void> {
  const request = clients.publicClient.request as unknown as RawRequest;
  await request({ method: 'anvil_mine', params: [`0x${blocks.toString(16)}`] });
}

/** Saves the dev chain's state; returns an id for {@link revertToSnapshot} (`evm_snapshot`). */
export async function snapshot(clients: Pick<ConcordClients, 'publicClient'>): Promise<string> {
  const request = clients.publicClient.request as unknown as RawRequest;
  return (await request({ method: 'evm_snapshot', params: [] })) as string;
}

/** Restores a state saved by {@link snapshot}; the snapshot is used up (`evm_revert`). */
export async function revertToSnapshot(
  clients: Pick<ConcordClients, 'publicClient'>,
  id: string,
): Promise<void> {
  const request = clients.publicClient.request as unknown as RawRequest;
  await request({ method: 'evm_revert', params: [id] });
}

/**
 * Sends a contract call from `from` without its key, on a dev chain
 * (`anvil_impersonateAccount`, funded for gas with `anvil_setBalance`). Tests and
 * benches use it to act as a protocol contract — e.g. to mint Shares as
 * TaskMarket does — because after `deployConcord` no key holds such a role.
 * Throws `ChainRevertError` if the call reverts. Not for real networks.
 */
export async function sendAs(
  clients: Pick<ConcordClients, 'publicClient'>,
  from: Address,
  call: Omit<ContractCall, 'nonce' | 'gas'>,
): Promise<TransactionReceipt> {
  const request = clients.publicClient.request as unknown as RawRequest;
  const data = encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args ?? [] });
  await request({ method: 'anvil_impersonateAccount', params: [from] });
  try {
    await request({ method: 'anvil_setBalance', params: [from, '0x56bc75e2d63100000'] });
    const hash = (await request({
      method: 'eth_sendTransaction',
      params: [{ from, to: call.address, data }],
    })) as Hex;
    return await clients.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 10 });
  } catch (err) {
    throw toRevertError(err, call) ?? err;
  } finally {
    await request({ method: 'anvil_stopImpersonatingAccount', params: [from] });
  }
}

/** A transaction for {@link reorg} to put into a replacement block: raw signed bytes, or a request anvil signs for an unlocked account. */
export type ReorgTransaction =
  | Hex
  | { from: Address; to?: Address; data?: Hex; value?: Hex; gas?: Hex; nonce?: Hex };

/**
 * Replaces the last `depth` blocks of a dev chain with new ones (`anvil_reorg`):
 * their transactions are dropped unless listed in `include`, each with the
 * offset of its replacement block (0 = the first new block). Not for real networks.
 */
export async function reorg(
  clients: Pick<ConcordClients, 'publicClient'>,
  depth: number,
  include: readonly (readonly [ReorgTransaction, number])[] = [],
): Promise<void> {
  const request = clients.publicClient.request as unknown as RawRequest;
  await request({ method: 'anvil_reorg', params: [depth, include] });
}

/** The raw signed bytes of a mined or pending transaction, to re-include it after a {@link reorg}. */
export async function rawTransaction(clients: Pick<ConcordClients, 'publicClient'>, hash: Hex): Promise<Hex> {
  const request = clients.publicClient.request as unknown as RawRequest;
  return (await request({ method: 'eth_getRawTransactionByHash', params: [hash] })) as Hex;
}

/** Mines a block every `seconds` on a dev chain (`evm_setIntervalMining`; 0 turns it off). */
export async function setIntervalMining(
  clients: Pick<ConcordClients, 'publicClient'>,
  seconds: number,
): Promise<void> {
  const request = clients.publicClient.request as unknown as RawRequest;
  await request({ method: 'evm_setIntervalMining', params: [seconds] });
}

/** Turns a dev chain's mining of a block per transaction on or off (`evm_setAutomine`). */
export async function setAutomine(clients: Pick<ConcordClients, 'publicClient'>, on: boolean): Promise<void> {
  const request = clients.publicClient.request as unknown as RawRequest;
  await request({ method: 'evm_setAutomine', params: [on] });
}
