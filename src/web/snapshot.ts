import type { Address } from 'viem';
import type { AccountHoldings } from '../devnet/accounts.ts';
import type { ApiDeps, PeerView, TaskView } from '../node/api/types.ts';

/** What the dashboard needs from a node: its API's reads, plus holdings of the accounts it shows. */
export type DashboardDeps = Pick<ApiDeps, 'health' | 'peers' | 'listTasks'> & {
  /** Balance, stake and shares of these accounts (omit to leave the holdings table empty). */
  holdings?: ((accounts: readonly Address[]) => Promise<AccountHoldings[]>) | undefined;
};

/** One frame of the dashboard: everything it renders, amounts as decimal strings. */
export type DashboardSnapshot = {
  node: { peerId: string; address: Address; chainId: number; chainHead: string };
  peers: PeerView[];
  tasks: TaskView[];
  holdings: { address: Address; balance: string; stake: string; shares: string }[];
};

/** How many of the newest tasks a snapshot carries. */
export const SNAPSHOT_TASKS = 20;

/**
 * Reads one snapshot: the node's health, peers, newest tasks, and the
 * holdings of the node and of every committee member of those tasks.
 */
export async function readSnapshot(deps: DashboardDeps): Promise<DashboardSnapshot> {
  const [health, peers, page] = await Promise.all([
    deps.health(),
    deps.peers(),
    deps.listTasks({ limit: SNAPSHOT_TASKS }),
  ]);
  const accounts = [...new Set<Address>([health.address, ...page.tasks.flatMap((t) => t.committee)])];
  const holdings = deps.holdings ? await deps.holdings(accounts) : [];
  return {
    node: { ...health, chainHead: health.chainHead.toString() },
    peers,
    tasks: page.tasks,
    holdings: holdings.map((h) => ({
      address: h.address,
      balance: h.balance.toString(),
      stake: h.stake.toString(),
      shares: h.shares.toString(),
    })),
  };
}
