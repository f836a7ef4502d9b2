import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = new URL('../../../bin/concord.mjs', import.meta.url).pathname;

/** Where the CLI under test finds its chain: an RPC URL and a deployment file. */
export type ChainTarget = { rpcUrl: string; contracts: string };

/**
 * Runs the `concord` command as a process against the chain `target()` names
 * (read at each call, so a test may pass it before its chain is up):
 * `concord` resolves to its stdout, `failure` to the exit code and stderr of
 * a run that must fail.
 */
export function chainCli(target: () => ChainTarget): {
  concord: (...args: string[]) => Promise<string>;
  failure: (...args: string[]) => Promise<{ code: number; stderr: string }>;
} {
  const concord = async (...args: string[]): Promise<string> => {
    const { rpcUrl, contracts } = target();
    const flags = ['--chain', rpcUrl, '--contracts', contracts];
    return (await run(process.execPath, [bin, ...args, ...flags], { encoding: 'utf8', timeout: 60_000 }))
      .stdout;
  };
  const failure = async (...args: string[]): Promise<{ code: number; stderr: string }> => {
    try {
      await concord(...args);
    } catch (err) {
      return err as { code: number; stderr: string };
    }
    assert.fail(`concord ${args.join(' ')} succeeded`);
  };
  return { concord, failure };
}
