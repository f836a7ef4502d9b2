import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type Address, type Hex, parseEther } from 'viem';
import { balanceOf } from '../chain/actions/balanceOf.ts';
import { transfer } from '../chain/actions/transfer.ts';
import { type ConcordContext, createConcordContext } from '../chain/context.ts';
import { readDeployment } from '../chain/deployment.ts';
import { devAccount } from '../chain/devAccounts.ts';
import { deploymentFile, upLocalChain } from '../chain/localChain.ts';
import {
  type DevnetLayout,
  type DevnetNodeRecord,
  type DevnetState,
  devnetLayout,
  readDevnetState,
  writeDevnetState,
} from '../client/layout.ts';
import type { NodeInfo } from '../node/daemon.ts';
import { launchNode } from './nodeProcess.ts';
import { isDevnetNodeRunning, stopDevnet } from './stopDevnet.ts';

/** Most nodes a devnet runs: anvil has ten dev accounts and account 0 deploys. */
export const MAX_DEVNET_NODES = 9;
/** Hosts per shard of the devnet's models unless told otherwise. */
export const DEFAULT_DEVNET_REPLICAS = 3;
/** CCD each node account holds at least after start (it stakes and escrows from it). */
export const DEVNET_NODE_FUNDS = parseEther('100000');

/** Credits per token the devnet's gateways ask (the AccessCredits price makes one credit 0.001 CCD). */
export const DEVNET_CREDITS_PER_TOKEN = 1n;

/** Options of {@link startDevnet}. */
export type StartDevnetOptions = {
  nodes: number;
  /** Hosts per shard of every served model (`concord node start --replicas`); default 3, capped at `nodes`. */
  replicas?: number;
  dir?: string;
  /** Called with one line per step (chain up, funding, each node). */
  log?: (line: string) => void;
};

/** A running devnet: its files, its state and a deployer context for reads and funding. */
export type Devnet = {
  layout: DevnetLayout;
  state: DevnetState;
  deployer: ConcordContext;
  /** Whether the chain state and node data dirs were reused from an earlier run. */
  resumed: boolean;
  /** Whether it was already running (nothing was started). */
  alreadyRunning: boolean;
};

/**
 * Starts (or resumes) a devnet in `dir`: anvil with Concord deployed (kept in
 * `dir/chain`), dev accounts 1..N funded with CCD, and N `concord node start`
 * processes on 127.0.0.1 (node 0 is everyone's bootstrap; each node registers
 * and stakes itself). Writes `dir/devnet.json`. On failure everything started
 * is stopped again.
 */
export async function startDevnet(options: StartDevnetOptions): Promise<Devnet> {
  const log = options.log ?? (() => undefined);
  const layout = devnetLayout(options.dir);
  mkdirSync(layout.dir, { recursive: true });
  const resumed = existsSync(deploymentFile(layout.chainDir));
  const previous = runningDevnet(layout);
  if (previous) {
    const deployer = await deployerContext(previous.state.rpcUrl, previous.state.deploymentFile);
    return { layout, state: previous.state, deployer, resumed: true, alreadyRunning: true };
  }
  await stopDevnet(layout); // leftovers of a devnet that half-died
  try {
    const chain = await upLocalChain({ dir: layout.chainDir });
    log(
      `chain    ${chain.rpcUrl} (chain id ${chain.deployment.chainId}, contracts ${chain.reusedDeployment ? 'reused' : 'deployed'})`,
    );
    const contracts = deploymentFile(layout.chainDir);
    const deployer = await deployerContext(chain.rpcUrl, contracts);
    const accounts = Array.from({ length: options.nodes }, (_, i) => devAccount(i + 1));
    await fundAccounts(
      deployer,
      accounts.map((a) => a.address),
    );
    log(`funded   ${options.nodes} node accounts (>= ${DEVNET_NODE_FUNDS / 10n ** 18n} CCD each)`);
    accounts.forEach((a, i) => {
      mkdirSync(layout.nodeDir(i), { recursive: true });
      if (!existsSync(layout.keyFile(i))) writeFileSync(layout.keyFile(i), a.privateKey, { mode: 0o600 });
    });
    const nodes: DevnetNodeRecord[] = [];
    const state: DevnetState = {
      rpcUrl: chain.rpcUrl,
      chainId: chain.deployment.chainId,
      anvilPid: chain.pid,
      deploymentFile: contracts,
      nodes,
    };
    const launch = async (i: number, bootstrap: readonly string[]) => {
      const info = await launchNode({
        rpcUrl: chain.rpcUrl,
        deploymentFile: contracts,
        keyFile: layout.keyFile(i),
        dataDir: layout.nodeDir(i),
        logFile: layout.logFile(i),
        bootstrap,
        replicas: Math.min(options.replicas ?? DEFAULT_DEVNET_REPLICAS, options.nodes),
        creditsPerToken: DEVNET_CREDITS_PER_TOKEN,
      });
      nodes[i] = record(i, info, layout.nodeDir(i));
      writeDevnetState(layout, state); // so `devnet down` finds what is already running
      log(`node ${i}   ${info.apiUrl}  ${info.address}  pid ${info.pid}`);
      return info;
    };
    const first = await launch(0, []);
    await Promise.all(accounts.slice(1).map((_, k) => launch(k + 1, first.multiaddrs)));
    return { layout, state, deployer, resumed, alreadyRunning: false };
  } catch (err) {
    await stopDevnet(layout);
    throw err;
  }
}

async function deployerContext(rpcUrl: string, contracts: string): Promise<ConcordContext> {
  return await createConcordContext({
    rpcUrl,
    privateKey: devAccount(0).privateKey,
    deployment: readDeployment(contracts),
  });
}

/**
 * A context signing as node `index` of a running devnet, from the key file
 * the devnet wrote for it. The devnet uses it for what the node API does not
 * offer (buying credits, signing an inference request, creating an aggregate
 * task with its inputs root), while the node itself is idle.
 */
export async function nodeContext(devnet: Devnet, index: number): Promise<ConcordContext> {
  return await createConcordContext({
    rpcUrl: devnet.state.rpcUrl,
    privateKey: readFileSync(devnet.layout.keyFile(index), 'utf8').trim() as Hex,
    deployment: readDeployment(devnet.state.deploymentFile),
  });
}

/** Tops each account up to {@link DEVNET_NODE_FUNDS} from the deployer (sequential: one sender's nonces). */
async function fundAccounts(deployer: ConcordContext, accounts: readonly Address[]): Promise<void> {
  for (const account of accounts) {
    const balance = await balanceOf(deployer, { account });
    if (balance < DEVNET_NODE_FUNDS)
      await transfer(deployer, { to: account, amount: DEVNET_NODE_FUNDS - balance });
  }
}

/** The devnet described by `devnet.json` if all its nodes still run. */
function runningDevnet(layout: DevnetLayout): { state: DevnetState } | undefined {
  if (!existsSync(layout.stateFile)) return undefined;
  const state = readDevnetState(layout);
  return state.nodes.length > 0 && state.nodes.every(isDevnetNodeRunning) ? { state } : undefined;
}

function record(index: number, info: NodeInfo, dataDir: string): DevnetNodeRecord {
  return {
    index,
    pid: info.pid,
    address: info.address,
    peerId: info.peerId,
    apiUrl: info.apiUrl,
    multiaddrs: info.multiaddrs,
    dataDir,
  };
}
