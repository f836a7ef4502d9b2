import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { nodeStartArgs } from '../../src/devnet/nodeProcess.ts';
import { type NodeInfo, nodeInfoFile } from '../../src/node/daemon.ts';

const root = new URL('../..', import.meta.url).pathname;

/** How to start one `concord node start` process. */
export type NodeProcessOptions = {
  rpcUrl: string;
  deploymentFile: string;
  keyFile: string;
  dataDir: string;
  bootstrap?: readonly string[];
  /** Extra flags (`--lie`, `--crash-after committed`). */
  flags?: readonly string[];
};

/** A running node process, its self-description and its output so far. */
export type NodeProcess = {
  child: ChildProcess;
  info: NodeInfo;
  output: string[];
  /** Resolves with the exit signal or code when the process ends. */
  exited: Promise<string>;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
};

/**
 * Test helper: spawns `concord node start` on loopback and waits until it
 * has written `node.json` (registered, listening, API up).
 */
export async function spawnNode(options: NodeProcessOptions, timeoutMs = 60_000): Promise<NodeProcess> {
  rmSync(nodeInfoFile(options.dataDir), { force: true });
  const args = [
    join(root, 'bin/concord.mjs'),
    ...nodeStartArgs({ ...options, bootstrap: options.bootstrap ?? [], pollMs: 100 }),
    ...(options.flags ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.on('data', (d: Buffer) => output.push(...d.toString().trimEnd().split('\n')));
  child.stderr.on('data', (d: Buffer) => output.push(...d.toString().trimEnd().split('\n')));
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  );
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void exited.then(() => {
    done = true;
  });
  while (!existsSync(nodeInfoFile(options.dataDir))) {
    if (done || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`node in ${options.dataDir} did not start:\n${output.slice(-30).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let info: NodeInfo;
  try {
    info = JSON.parse(readFileSync(nodeInfoFile(options.dataDir), 'utf8')) as NodeInfo;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    child,
    info,
    output,
    exited,
    stop: async () => {
      if (!done) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Polls `fn` every 100 ms until it returns a value, or fails after `timeoutMs` with `context()` in the message. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  context: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
