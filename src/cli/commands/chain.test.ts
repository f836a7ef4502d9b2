import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, isRunning } from '../../chain/anvil.ts';
import { readDeployment } from '../../chain/deployment.ts';

const run = promisify(execFile);
const bin = new URL('../../../bin/concord.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'concord-chain-cli-'));
after(async () => {
  await concord('chain', 'down', '--dir', dir).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function concord(...args: string[]): Promise<string> {
  return (await run(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 })).stdout;
}

type UpJson = {
  rpcUrl: string;
  pid: number;
  alreadyRunning: boolean;
  reusedDeployment: boolean;
  addresses: Record<string, string>;
};

test('chain up deploys once and leaves anvil running; chain down stops it', async () => {
  const port = await freePort();
  const first = JSON.parse(
    await concord('chain', 'up', '--dir', dir, '--port', String(port), '--json'),
  ) as UpJson;
  assert.equal(first.rpcUrl, `http://127.0.0.1:${port}`);
  assert.equal(first.alreadyRunning, false);
  assert.equal(first.reusedDeployment, false);
  assert.ok(isRunning(first.pid), 'anvil outlives the CLI');
  assert.deepEqual(readDeployment(join(dir, 'deployment.json')).addresses, first.addresses);

  const table = await concord('chain', 'up', '--dir', dir);
  assert.match(table, new RegExp(`pid\\s+${first.pid} \\(already running\\)`));
  assert.match(table, new RegExp(`taskMarket\\s+${first.addresses.taskMarket}`));
  assert.match(table, /contracts: reused/);

  assert.deepEqual(JSON.parse(await concord('chain', 'down', '--dir', dir, '--json')), { stopped: true });
  assert.equal(isRunning(first.pid), false);
});

test('chain up rejects a bad --port with exit code 2', async () => {
  await assert.rejects(
    concord('chain', 'up', '--dir', dir, '--port', 'abc'),
    (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /UsageError/);
      return true;
    },
  );
});
