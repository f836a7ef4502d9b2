import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { reachableUrls, urlHost } from '../core/netHosts.ts';
import { DEV_MNEMONIC } from './devAccounts.ts';
import { AnvilNotFoundError, AnvilStartError } from './errors.ts';

export { DEV_MNEMONIC, type DevAccount, devAccount } from './devAccounts.ts';

/** File names anvil uses inside `dataDir`. */
export const ANVIL_STATE_FILE = 'anvil-state.json';
export const ANVIL_LOG_FILE = 'anvil.log';

/** Options of {@link startAnvil}; every one has a development default. */
export type StartAnvilOptions = {
  /** TCP port; default: a free port picked by the OS. */
  port?: number;
  /**
   * Interface to listen on (default 127.0.0.1); 0.0.0.0 listens on every
   * interface, and `rpcUrl` then names the first non-loopback address.
   */
  host?: string;
  /** Seconds per block; default: automine (a block per transaction). */
  blockTime?: number;
  /**
   * With `blockTime`: keep automine too, so blocks still follow each transaction at once and the
   * interval only mines what automine left pending (e.g. a transaction that did not fit a full block).
   */
  mixedMining?: boolean;
  /** Directory for the state file (loaded at start, dumped on exit) and, when detached, the log. */
  dataDir?: string;
  /** Number of dev accounts (default 10). */
  accounts?: number;
  /** Ether balance of each dev account (default 10000). */
  balanceEth?: number;
  /** Chain id (default 31337). */
  chainId?: number;
  /** Block gas limit (default: anvil's 30M). */
  gasLimit?: bigint;
  /** Run in its own session, outliving this process (`concord chain up`). Needs `dataDir` for the log. */
  detached?: boolean;
  /** How long to wait for the node to answer (default 30 s). */
  startTimeoutMs?: number;
};

/** A running anvil node. */
export type AnvilInstance = {
  rpcUrl: string;
  port: number;
  pid: number;
  /** Stops the node (SIGTERM, so it dumps its state file) and waits until it has exited. */
  stop(): Promise<void>;
};

const STDERR_TAIL_LINES = 20;
const STOP_TIMEOUT_MS = 10_000;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Finds the anvil binary shipped in the npm platform package `@foundry-rs/anvil-<os>-<arch>`. */
export function resolveAnvilBinary(): string {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string];
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch ?? process.arch}`;
  const exe = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch (cause) {
    throw new AnvilNotFoundError(`The anvil binary package ${pkg} is not installed.`, {
      cause,
      hint: 'Install it with `npm install @foundry-rs/anvil` (its platform package comes as an optional dependency).',
    });
  }
  const bin = join(dir, 'bin', exe);
  if (!existsSync(bin)) {
    throw new AnvilNotFoundError(`The package ${pkg} has no binary at ${bin}.`, {
      hint: 'Reinstall @foundry-rs/anvil.',
    });
  }
  return bin;
}

/** Asks the OS for a free TCP port on `host` (binds port 0, reads it, closes). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return await bindAndRelease(host, 0);
}

/** Whether `host:port` can be bound right now. */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return await bindAndRelease(host, port).then(
    () => true,
    () => false,
  );
}

/** Binds `host:port` and releases it at once; returns the port or rejects (EADDRINUSE). */
function bindAndRelease(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a local anvil node with the dev mnemonic and waits until it answers
 * `eth_chainId`. Unless `detached`, the node is killed when this process exits.
 */
export async function startAnvil(options: StartAnvilOptions = {}): Promise<AnvilInstance> {
  const bin = resolveAnvilBinary();
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort(options.host));
    try {
      return await launch(bin, port, options);
    } catch (err) {
      // Another process may have taken the port we picked: pick again.
      if (attempt >= attempts) throw err;
    }
  }
}

function anvilArgs(port: number, options: StartAnvilOptions): string[] {
  // --quiet: no log line per RPC call (a long-running devnet's log would grow without bound); errors still print.
  const args = [
    '--host',
    options.host ?? '127.0.0.1',
    '--port',
    String(port),
    '--mnemonic',
    DEV_MNEMONIC,
    '--quiet',
  ];
  args.push('--accounts', String(options.accounts ?? 10), '--balance', String(options.balanceEth ?? 10_000));
  args.push('--chain-id', String(options.chainId ?? 31337));
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime));
  if (options.mixedMining) args.push('--mixed-mining');
  if (options.gasLimit !== undefined) args.push('--gas-limit', options.gasLimit.toString());
  if (options.dataDir !== undefined) {
    args.push('--state', join(options.dataDir, ANVIL_STATE_FILE), '--state-interval', '5');
  }
  return args;
}

async function launch(bin: string, port: number, options: StartAnvilOptions): Promise<AnvilInstance> {
  // Another node on this port would answer our readiness probe, so make sure it is free first.
  await bindAndRelease(options.host ?? '127.0.0.1', port).catch((cause: Error) => {
    throw new AnvilStartError(`anvil cannot listen on port ${port}: ${cause.message}.`, {
      cause,
      hint: 'Stop whatever uses that port, or choose another with --port.',
    });
  });
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  const tail: string[] = [];
  let child: ChildProcess;
  if (options.detached) {
    if (options.dataDir === undefined) {
      throw new AnvilStartError('A detached anvil needs a dataDir for its log and state.', {
        hint: 'Pass dataDir together with detached.',
      });
    }
    const logFile = join(options.dataDir, ANVIL_LOG_FILE);
    const fd = openSync(logFile, 'a');
    child = spawn(bin, anvilArgs(port, options), { detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.unref();
  } else {
    child = spawn(bin, anvilArgs(port, options), { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - STDERR_TAIL_LINES));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // Let this process exit while anvil runs; the exit hook then kills it.
    child.unref();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    track(child);
  }
  const rpcUrl = reachableUrls(`http://${urlHost(options.host ?? '127.0.0.1')}:${port}`)[0]!;
  const pid = child.pid;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    live.delete(child);
    if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  const lastLines = () =>
    options.detached && options.dataDir
      ? readTail(join(options.dataDir, ANVIL_LOG_FILE))
      : tail.slice(-STDERR_TAIL_LINES).join('\n');
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const ready = await waitForRpc(rpcUrl, options.startTimeoutMs ?? 30_000, child, spawnError, () =>
    pid === undefined ? false : ownsListeningPort(pid, port),
  );
  if (ready !== true || pid === undefined) {
    await stop();
    throw new AnvilStartError(`anvil did not start on port ${port}: ${ready === true ? 'no pid' : ready}.`, {
      details: lastLines() || '(no output)',
      hint: 'Check the output above; if the port is taken, pick another with --port.',
    });
  }
  return { rpcUrl, port, pid, stop };
}

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) c.kill('SIGTERM');
  });
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-STDERR_TAIL_LINES).join('\n');
  } catch {
    return '';
  }
}

/**
 * Polls until `eth_chainId` answers and the answering port is `child`'s
 * (`ownsPort`); returns true, or why it gave up. Two launches racing for one
 * port both find it free, and the loser's probe would be answered by the
 * winner's node while its own child exits with "Address already in use".
 */
async function waitForRpc(
  rpcUrl: string,
  timeoutMs: number,
  child: ChildProcess,
  spawnError: Promise<Error>,
  ownsPort: () => boolean,
): Promise<true | string> {
  let failure: string | undefined;
  spawnError.then((err) => {
    failure = `spawn failed (${err.message})`;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (failure) return failure;
    if (child.exitCode !== null || child.signalCode !== null) {
      return `it exited with ${child.exitCode ?? child.signalCode}`;
    }
    if ((await answersChainId(rpcUrl)) && ownsPort()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return `no answer within ${timeoutMs} ms`;
}

/**
 * Whether process `pid` holds the listening TCP socket of `port`, from Linux's
 * /proc (socket inodes of the port's LISTEN rows against the process's file
 * descriptors). Where /proc is missing it cannot tell and answers true.
 */
function ownsListeningPort(pid: number, port: number): boolean {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let rows: string[];
    try {
      rows = readFileSync(table, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const row of rows) {
      const fields = row.trim().split(/\s+/);
      // Columns: sl local_address rem_address st ... inode (10th); st 0A is LISTEN.
      if (fields[1]?.endsWith(hexPort) && fields[3] === '0A' && fields[9]) inodes.add(fields[9]);
    }
  }
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return !existsSync('/proc/self');
  }
  return fds.some((fd) => {
    try {
      return inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/^socket:\[(\d+)\]$/, '$1'));
    } catch {
      return false;
    }
  });
}

/** Whether a JSON-RPC endpoint answers `eth_chainId`. */
export async function answersChainId(rpcUrl: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json()) as { result?: unknown };
    return typeof body.result === 'string';
  } catch {
    return false;
  }
}

/**
 * Stops an anvil started by another process (`concord chain down`) by pid:
 * SIGTERM (so it dumps state), then SIGKILL after a timeout. Returns false if
 * no such process was running.
 */
export async function stopAnvilPid(pid: number, timeoutMs = STOP_TIMEOUT_MS): Promise<boolean> {
  if (!isRunning(pid)) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  return true;
}

/** Whether a process with this pid exists (signal 0 probe). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
