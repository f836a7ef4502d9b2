import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isRunning } from '../chain/anvil.ts';
import { type NodeInfo, nodeInfoFile } from '../node/daemon.ts';
import { DevnetNodeStartError } from './errors.ts';

const CONCORD_BIN = fileURLToPath(new URL('../../bin/concord.mjs', import.meta.url));

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
  /** How long to wait for `node.json` (default 60 s). */
  timeoutMs?: number;
};

/** What {@link nodeStartArgs} needs to name a node. */
export type NodeStartArgsOptions = Pick<
  LaunchNodeOptions,
  'rpcUrl' | 'deploymentFile' | 'keyFile' | 'dataDir' | 'bootstrap'
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
  ];
}

/**
 * Spawns `concord node start` in its own session (it outlives this process
 * when the devnet is detached), logging to `logFile`, and waits until the
 * node has written `node.json` (registered, listening, API up).
 */
export async function launchNode(options: LaunchNodeOptions): Promise<NodeInfo> {
  rmSync(nodeInfoFile(options.dataDir), { force: true });
  const log = openSync(options.logFile, 'a');
  const args = [CONCORD_BIN, ...nodeStartArgs({ ...options, pollMs: options.pollMs ?? 100 })];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const pid = child.pid;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!existsSync(nodeInfoFile(options.dataDir))) {
    const dead = pid === undefined || !isRunning(pid);
    if (dead || Date.now() > deadline) {
      if (pid !== undefined && !dead) process.kill(pid, 'SIGKILL');
      throw new DevnetNodeStartError(
        `The node in ${options.dataDir} ${dead ? 'exited' : 'did not come up in time'}. Last log lines:\n${tail(options.logFile)}`,
        { hint: `Read ${options.logFile}; \`concord devnet down\` then start again.` },
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return JSON.parse(readFileSync(nodeInfoFile(options.dataDir), 'utf8')) as NodeInfo;
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
