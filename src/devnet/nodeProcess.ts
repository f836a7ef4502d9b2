import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type NodeInfo, nodeInfoFile } from '../node/daemon.ts';
import { DevnetNodeStartError } from './errors.ts';

const CONCORD_BIN = fileURLToPath(new URL('../../bin/concord.mjs', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How to launch one `concord node start` process of a devnet. */
export type LaunchNodeOptions = {
  rpcUrl: string;
  deploymentFile: string;
  keyFile: string;
  dataDir: string;
  logFile: string;
  bootstrap: readonly string[];
  /** Worker round interval in ms (default 100: a devnet should feel quick). */
  pollMs?: number;
  /** Hosts per shard of every served model (`--replicas`); the node's default when omitted. */
  replicas?: number;
  /** Credits per generated token this node asks as a gateway (`--credits-per-token`); the node's default when omitted. */
  creditsPerToken?: bigint;
  /** How long to wait for `node.json` (default 60 s). */
  timeoutMs?: number;
};

/** What {@link nodeStartArgs} needs to name a node. */
export type NodeStartArgsOptions = Pick<
  LaunchNodeOptions,
  'rpcUrl' | 'deploymentFile' | 'keyFile' | 'dataDir' | 'bootstrap' | 'replicas' | 'creditsPerToken'
> & { pollMs: number };

/** The arguments after `concord` that start one node on 127.0.0.1 (any free port). */
export function nodeStartArgs(options: NodeStartArgsOptions): string[] {
  return [
    'node',
    'start',
    '--chain',
    options.rpcUrl,
    '--contracts',
    options.deploymentFile,
    '--key',
    options.keyFile,
    '--data',
    options.dataDir,
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
    '--poll-ms',
    String(options.pollMs),
    ...options.bootstrap.flatMap((b) => ['--bootstrap', b]),
    ...(options.replicas === undefined ? [] : ['--replicas', String(options.replicas)]),
    ...(options.creditsPerToken === undefined
      ? []
      : ['--credits-per-token', String(options.creditsPerToken)]),
  ];
}

/** Options of {@link startNodeProcess}. */
export type StartNodeProcessOptions = {
  /** The data dir named in `args` (where the node writes `node.json`). */
  dataDir: string;
  /** Arguments after `concord` (usually {@link nodeStartArgs} plus test flags). */
  args: readonly string[];
  /** stdio, session and environment of the child (cwd is the repository root). */
  spawn: Pick<SpawnOptions, 'stdio' | 'detached' | 'env'>;
  timeoutMs: number;
  /** Called right after the spawn, e.g. to collect piped output. */
  onSpawn?: (child: ChildProcess) => void;
  /** The error to throw when the node exited (`exited`) or did not come up in time (`timeout`). */
  failure: (reason: 'exited' | 'timeout') => Error;
};

/** A started node process: the child, its `node.json`, and its exit (signal name or code). */
export type StartedNodeProcess = { child: ChildProcess; info: NodeInfo; exited: Promise<string> };

/**
 * Spawns `node bin/concord.mjs ...args` and waits until the node has written
 * `node.json` (registered, listening, API up). On failure the child is
 * killed and `failure(reason)` is thrown. The shared start-up of the devnet's
 * detached nodes and the e2e tests' piped ones.
 */
export async function startNodeProcess(options: StartNodeProcessOptions): Promise<StartedNodeProcess> {
  const infoFile = nodeInfoFile(options.dataDir);
  rmSync(infoFile, { force: true });
  const child = spawn(process.execPath, [CONCORD_BIN, ...options.args], {
    cwd: REPO_ROOT,
    ...options.spawn,
  });
  options.onSpawn?.(child);
  let done = false;
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve(signal ?? String(code));
    }),
  );
  const deadline = Date.now() + options.timeoutMs;
  while (!existsSync(infoFile)) {
    if (done || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw options.failure(done ? 'exited' : 'timeout');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    return { child, info: JSON.parse(readFileSync(infoFile, 'utf8')) as NodeInfo, exited };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/**
 * Spawns `concord node start` in its own session (it outlives this process
 * when the devnet is detached), logging to `logFile`, and waits until the
 * node has written `node.json` (registered, listening, API up).
 */
export async function launchNode(options: LaunchNodeOptions): Promise<NodeInfo> {
  const log = openSync(options.logFile, 'a');
  try {
    const { child, info } = await startNodeProcess({
      dataDir: options.dataDir,
      args: nodeStartArgs({ ...options, pollMs: options.pollMs ?? 100 }),
      spawn: { detached: true, stdio: ['ignore', log, log] },
      timeoutMs: options.timeoutMs ?? 60_000,
      failure: (reason) =>
        new DevnetNodeStartError(
          `The node in ${options.dataDir} ${reason === 'exited' ? 'exited' : 'did not come up in time'}. Last log lines:\n${tail(options.logFile)}`,
          { hint: `Read ${options.logFile}; \`concord devnet down\` then start again.` },
        ),
    });
    child.unref();
    return info;
  } finally {
    closeSync(log);
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
