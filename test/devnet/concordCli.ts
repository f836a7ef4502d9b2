import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The repository root (where `bin/concord.mjs` lives). */
export const repoRoot = new URL('../..', import.meta.url).pathname;

/** What a finished `concord` process left: its exit code and output. */
export type ConcordRun = { code: number | null; stdout: string; stderr: string };

/** How {@link concord} runs: wrapped in another command (`ip netns exec NS`), watching the output as it comes. */
export type ConcordOptions = { prefix?: readonly string[]; onStdout?: (text: string) => void };

/** Runs `concord ...args` to completion (asynchronously, so the test's own timers keep running). */
export function concord(args: readonly string[], options: ConcordOptions = {}): Promise<ConcordRun> {
  return new Promise((resolve) => {
    const [command, ...before] = [...(options.prefix ?? []), process.execPath];
    const bin = join(repoRoot, 'bin/concord.mjs');
    const child = spawn(command!, [...before, bin, ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(d.toString());
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `concord ...args --json`, asserts it exited 0 and parses its last output line. */
export async function concordJson<T>(args: readonly string[], options: ConcordOptions = {}): Promise<T> {
  const run = await concord([...args, '--json'], options);
  assert.equal(run.code, 0, `concord ${args.join(' ')} failed:\n${run.stderr}\n${run.stdout}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as T;
}

/** A task as `concord task show --json` and `GET /v1/tasks/:id` report it. */
export type TaskJson = {
  id: string;
  state: string;
  winner: string | null;
  payouts: { account: string; amount: string }[];
};

/**
 * Polls a node's `GET /v1/tasks/:id` (a CLI process per poll would be slow)
 * until the task is finalized or failed, or `polls` tries of 100 ms pass.
 */
export async function waitForTaskEnd(apiUrl: string, taskId: string, polls = 1200): Promise<void> {
  for (let i = 0; i < polls; i++) {
    const view = (await (await fetch(`${apiUrl}/v1/tasks/${taskId}`)).json()) as TaskJson;
    if (view.state === 'finalized' || view.state === 'failed') return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
