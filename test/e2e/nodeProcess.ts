import type { ChildProcess } from 'node:child_process';
import { nodeStartArgs, startNodeProcess } from '../../src/devnet/nodeProcess.ts';
import type { NodeInfo } from '../../src/node/daemon.ts';

/** How to start one `concord node start` process. */
export type NodeProcessOptions = {
  rpcUrl: string;
  deploymentFile: string;
  keyFile: string;
  dataDir: string;
  bootstrap?: readonly string[];
  /** Extra flags (`--lie`, `--crash-after committed`). */
  flags?: readonly string[];
  /** The child's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
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
  const output: string[] = [];
  const stdout = lineCollector(output);
  const stderr = lineCollector(output);
  const { child, info, exited } = await startNodeProcess({
    dataDir: options.dataDir,
    args: [
      ...nodeStartArgs({ ...options, bootstrap: options.bootstrap ?? [], pollMs: 100 }),
      ...(options.flags ?? []),
    ],
    spawn: { stdio: ['ignore', 'pipe', 'pipe'], ...(options.env ? { env: options.env } : {}) },
    timeoutMs,
    onSpawn: (spawned) => {
      spawned.stdout?.on('data', stdout);
      spawned.stderr?.on('data', stderr);
    },
    failure: () => new Error(`node in ${options.dataDir} did not start:\n${output.slice(-30).join('\n')}`),
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
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

/**
 * Appends each whole line of a stream to `output`. A chunk may end inside a line (a busy reader
 * gets many writes in one read), so the unfinished rest waits for the next chunk.
 */
export function lineCollector(output: string[]): (chunk: Buffer) => void {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    output.push(...lines.filter((line) => line.length > 0));
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
