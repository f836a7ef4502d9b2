import type { ConcordClients } from './client.ts';

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
