import type { Address, Hex } from 'viem';
import type { AccountHoldings } from '../client/holdings.ts';
import type { ApiDeps, PeerView, TaskView } from '../node/api/types.ts';
import type { HeldOutLoss } from './heldOutLoss.ts';

/** One version of a registry model as the dashboard shows it. */
export type DashboardVersion = {
  index: string;
  digest: Hex;
  /** The aggregate task that produced it ('0' for the genesis). */
  taskId: string;
  heldOut: HeldOutLoss;
};

/** A registry model with every version, oldest first. */
export type DashboardModel = { modelId: string; name: string; owner: Address; versions: DashboardVersion[] };

/**
 * What the dashboard needs from a node: its API's reads, plus optional chain
 * reads (each part is left empty when its reader is omitted).
 */
export type DashboardDeps = Pick<ApiDeps, 'health' | 'peers' | 'listTasks'> & {
  /** Balance, stake and shares of these accounts. */
  holdings?: ((accounts: readonly Address[]) => Promise<AccountHoldings[]>) | undefined;
  /** Query credits of these accounts, in the same order. */
  credits?: ((accounts: readonly Address[]) => Promise<bigint[]>) | undefined;
  /** The registry's active nodes (shown with their holdings even before they join a task). */
  activeNodes?: (() => Promise<Address[]>) | undefined;
  /** The registry's models with their versions and held-out loss. */
  models?: (() => Promise<DashboardModel[]>) | undefined;
};

/** One account's row: tokens, stake, shares and credits (wei, decimal strings; credits null if unread). */
export type DashboardHolding = {
  address: Address;
  balance: string;
  stake: string;
  shares: string;
  credits: string | null;
  /** Registered with at least the minimum stake (null when the node does not read the registry). */
  active: boolean | null;
};

/** One frame of the dashboard: everything it renders, amounts as decimal strings. */
export type DashboardSnapshot = {
  node: { peerId: string; address: Address; chainId: number; chainHead: string };
  peers: PeerView[];
  tasks: TaskView[];
  holdings: DashboardHolding[];
  models: DashboardModel[];
};

/** How many of the newest tasks a snapshot carries. */
export const SNAPSHOT_TASKS = 20;

/**
 * Reads one snapshot: the node's health, peers, newest tasks, the registry's
 * models, and the holdings of the node, the active nodes and every committee
 * member of those tasks.
 */
export async function readSnapshot(deps: DashboardDeps): Promise<DashboardSnapshot> {
  const [health, peers, page, active, models] = await Promise.all([
    deps.health(),
    deps.peers(),
    deps.listTasks({ limit: SNAPSHOT_TASKS }),
    deps.activeNodes?.() ?? [],
    deps.models?.() ?? [],
  ]);
  const accounts = [
    ...new Set<Address>([health.address, ...active, ...page.tasks.flatMap((t) => t.committee)]),
  ];
  const [holdings, credits] = await Promise.all([
    deps.holdings?.(accounts) ?? [],
    deps.credits?.(accounts) ?? [],
  ]);
  const activeSet = new Set(active);
  return {
    node: { ...health, chainHead: health.chainHead.toString() },
    peers,
    tasks: page.tasks,
    holdings: holdings.map((h) => ({
      address: h.address,
      balance: h.balance.toString(),
      stake: h.stake.toString(),
      shares: h.shares.toString(),
      credits: credits[accounts.indexOf(h.address)]?.toString() ?? null,
      active: deps.activeNodes ? activeSet.has(h.address) : null,
    })),
    models,
  };
}
