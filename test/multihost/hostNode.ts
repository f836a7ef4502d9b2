import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NodeInfo, nodeInfoFile } from '../../src/node/daemon.ts';
import { repoRoot } from '../devnet/concordCli.ts';
import { lineCollector, type NodeProcess, waitFor } from '../e2e/nodeProcess.ts';

/**
 * Test helper: spawns `concord node start ...args` wrapped in `prefix`
 * (`ip netns exec NS`: `ip` execs node in the namespace, so the child's pid is
 * the node's) with `env` and waits until it has written `<dataDir>/node.json`
 * (registered, listening, API up). Its output is collected line by line.
 */
export async function spawnNodeIn(
  prefix: readonly string[],
  args: readonly string[],
  dataDir: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<NodeProcess> {
  const output: string[] = [];
  const [command, ...before] = [...prefix, process.execPath];
  const child = spawn(command!, [...before, join(repoRoot, 'bin/concord.mjs'), 'node', 'start', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  child.stdout.on('data', lineCollector(output));
  child.stderr.on('data', lineCollector(output));
  let done = false;
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve(signal ?? String(code));
    }),
  );
  const stop = async () => {
    if (!done) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const infoFile = nodeInfoFile(dataDir);
  try {
    await waitFor(
      `the node in ${dataDir} to start`,
      async () => {
        if (done) throw new Error(`the node in ${dataDir} exited`);
        return existsSync(infoFile) ? true : undefined;
      },
      timeoutMs,
    );
    const info = JSON.parse(readFileSync(infoFile, 'utf8')) as NodeInfo;
    return { child, info, output, exited, stop };
  } catch (err) {
    await stop();
    (err as Error).message += `\n${output.slice(-30).join('\n')}`;
    throw err;
  }
}
