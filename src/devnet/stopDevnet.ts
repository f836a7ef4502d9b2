import { existsSync, readFileSync, rmSync } from 'node:fs';
import { isRunning, stopAnvilPid } from '../chain/anvil.ts';
import { downLocalChain } from '../chain/localChain.ts';
import { type DevnetLayout, type DevnetNodeRecord, readDevnetState } from '../client/layout.ts';

/** What {@link stopDevnet} stopped. */
export type StopDevnetReturnType = { nodes: number; chain: boolean };

/** Whether the recorded node process still runs (and is a concord process, not a reused pid). */
export function isDevnetNodeRunning(node: Pick<DevnetNodeRecord, 'pid'>): boolean {
  if (!isRunning(node.pid)) return false;
  try {
    return readFileSync(`/proc/${node.pid}/cmdline`, 'utf8').includes('concord');
  } catch {
    return true; // no /proc (macOS): trust the state file
  }
}

/**
 * Stops a devnet: SIGTERM to every node (SIGKILL after a grace period), then
 * anvil, whose state stays in `dir/chain` for the next start. The node data
 * dirs stay too; only `devnet.json` goes. Safe to call when nothing runs.
 */
export async function stopDevnet(layout: DevnetLayout): Promise<StopDevnetReturnType> {
  let nodes = 0;
  if (existsSync(layout.stateFile)) {
    const running = readDevnetState(layout).nodes.filter((n) => n && isDevnetNodeRunning(n));
    await Promise.all(running.map((n) => stopAnvilPid(n.pid, 15_000)));
    nodes = running.length;
  }
  const chain = await downLocalChain({ dir: layout.chainDir });
  rmSync(layout.stateFile, { force: true });
  return { nodes, chain };
}
