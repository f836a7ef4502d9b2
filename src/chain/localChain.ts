import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createPublicClient, http } from 'viem';
import { reachableUrls, urlHost } from '../core/netHosts.ts';
import { answersChainId, freePort, isPortFree, isRunning, startAnvil, stopAnvilPid } from './anvil.ts';
import { createConcordClients } from './client.ts';
import { deployConcord } from './deploy.ts';
import { type Deployment, readDeployment, writeDeployment } from './deployment.ts';
import { devAccount } from './devAccounts.ts';

/** Where `concord chain up` keeps its files unless told otherwise. */
export const DEFAULT_CHAIN_DIR = '.concord/chain';
/** The port a local chain prefers, when free. */
export const PREFERRED_PORT = 8545;

const PID_FILE = 'anvil.pid';
const DEPLOYMENT_FILE = 'deployment.json';

/** Parameters of {@link upLocalChain}. */
export type UpLocalChainParameters = {
  dir?: string;
  port?: number;
  /** Interface anvil listens on when it starts (default 127.0.0.1; 0.0.0.0 for every one). */
  host?: string;
};

/** What {@link upLocalChain} started or found. */
export type LocalChain = {
  dir: string;
  /** The URL written into the deployment: the first of `rpcUrls`. */
  rpcUrl: string;
  /** Every URL the chain answers at, non-loopback first (one per interface when it listens on all). */
  rpcUrls: string[];
  pid: number;
  deployment: Deployment;
  /** Whether anvil was already running. */
  alreadyRunning: boolean;
  /** Whether the contracts were already on the chain (not deployed now). */
  reusedDeployment: boolean;
};

/** The deployment file of a local chain directory. */
export function deploymentFile(dir = DEFAULT_CHAIN_DIR): string {
  return join(resolve(dir), DEPLOYMENT_FILE);
}

/**
 * TaskMarket bounds of a local chain: anvil mines a block for every
 * transaction, so 10-s commit and reveal windows always hold blocks (a real
 * chain keeps `DEPLOY_DEFAULTS`' 60 s, five 12-s slots).
 */
export const LOCAL_CHAIN_LIMITS = { minCommitWindow: 10n, minRevealWindow: 10n } as const;

/**
 * Starts a detached anvil whose state lives in `dir` (or finds the one
 * already running there), deploys Concord once, and writes `deployment.json`
 * and `anvil.pid` into `dir`. Contracts already on the chain are reused.
 */
export async function upLocalChain(params: UpLocalChainParameters = {}): Promise<LocalChain> {
  const dir = resolve(params.dir ?? DEFAULT_CHAIN_DIR);
  const previous = existsSync(deploymentFile(dir)) ? readDeployment(deploymentFile(dir)) : undefined;
  const running = await findRunning(dir, previous);
  let rpcUrl: string;
  let rpcUrls: string[];
  let pid: number;
  if (running) {
    ({ rpcUrl, pid } = running);
    rpcUrls = [rpcUrl];
  } else {
    const host = params.host ?? '127.0.0.1';
    const port = params.port ?? (await preferredPort(previous, host));
    // The preferred port may be taken between the check and anvil's bind: then any free port will do.
    const anvil = await startAnvil({ port, host, dataDir: dir, detached: true }).catch((err: unknown) => {
      if (params.port !== undefined) throw err;
      return startAnvil({ host, dataDir: dir, detached: true });
    });
    ({ rpcUrl, pid } = anvil);
    rpcUrls = reachableUrls(`http://${urlHost(host)}:${anvil.port}`);
    writeFileSync(join(dir, PID_FILE), `${pid}\n`);
  }
  const reused = previous !== undefined && (await isDeployedOn(rpcUrl, previous));
  let deployment: Deployment;
  if (reused) {
    deployment = { ...previous, rpcUrl };
  } else {
    const clients = await createConcordClients({ rpcUrl, privateKey: devAccount(0).privateKey });
    deployment = { ...(await deployConcord(clients, LOCAL_CHAIN_LIMITS)), rpcUrl };
  }
  writeDeployment(deploymentFile(dir), deployment);
  return {
    dir,
    rpcUrl,
    rpcUrls,
    pid,
    deployment,
    alreadyRunning: running !== undefined,
    reusedDeployment: reused,
  };
}

/** Stops the anvil of a local chain directory; its state file stays for the next `up`. False if none ran. */
export async function downLocalChain(params: { dir?: string } = {}): Promise<boolean> {
  const dir = resolve(params.dir ?? DEFAULT_CHAIN_DIR);
  const pid = readPid(dir);
  rmSync(join(dir, PID_FILE), { force: true });
  return pid !== undefined && (await stopAnvilPid(pid));
}

/** The pid in `dir/anvil.pid` if that process is still an anvil (a stale pid may belong to anything now). */
function readPid(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(dir, PID_FILE), 'utf8'), 10);
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0 || !isRunning(pid)) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('anvil') ? pid : undefined;
  } catch {
    return pid; // no /proc (macOS): trust the pid file
  }
}

async function findRunning(
  dir: string,
  previous: Deployment | undefined,
): Promise<{ rpcUrl: string; pid: number } | undefined> {
  const pid = readPid(dir);
  if (pid === undefined) return undefined;
  if (previous?.rpcUrl !== undefined && (await answersChainId(previous.rpcUrl))) {
    return { rpcUrl: previous.rpcUrl, pid };
  }
  // Ours but unusable (no deployment written, or not answering): stop it before starting afresh.
  await stopAnvilPid(pid);
  return undefined;
}

/** The port used last time, else 8545, else any free port. */
async function preferredPort(previous: Deployment | undefined, host: string): Promise<number> {
  const last = previous?.rpcUrl ? Number(new URL(previous.rpcUrl).port) : undefined;
  for (const port of [last, PREFERRED_PORT]) {
    if (port && (await isPortFree(port, host))) return port;
  }
  return await freePort(host);
}

/** Whether the chain at `rpcUrl` has the same id and code at every address of `d`. */
async function isDeployedOn(rpcUrl: string, d: Deployment): Promise<boolean> {
  const client = createPublicClient({ transport: http(rpcUrl) });
  if ((await client.getChainId()) !== d.chainId) return false;
  for (const address of Object.values(d.addresses)) {
    const code = await client.getCode({ address });
    if (code === undefined || code === '0x') return false;
  }
  return true;
}
