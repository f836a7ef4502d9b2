import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, isRunning } from '../../chain/anvil.ts';
import { readDeployment } from '../../chain/deployment.ts';
import { devAccount } from '../../chain/devAccounts.ts';
import { reachableHosts } from '../../core/netHosts.ts';

const run = promisify(execFile);
const bin = new URL('../../../bin/concord.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'concord-chain-cli-'));
after(async () => {
  await concord('chain', 'down', '--dir', dir).catch(() => undefined);
  await concord('chain', 'down', '--dir', join(dir, 'all-interfaces')).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function concord(...args: string[]): Promise<string> {
  return await concordIn({}, ...args);
}

/** Runs the CLI in `options.cwd` with `options.env` added to the environment. */
async function concordIn(
  options: { cwd?: string; env?: Record<string, string> },
  ...args: string[]
): Promise<string> {
  const env = { ...process.env, ...options.env };
  return (
    await run(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, env, cwd: options.cwd })
  ).stdout;
}

async function chainId(rpcUrl: string): Promise<string> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
  });
  return ((await res.json()) as { result: string }).result;
}

type UpJson = {
  rpcUrl: string;
  rpcUrls: string[];
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

test('chain up --host 0.0.0.0 writes a URL other machines can use; commands find the chain through concord.json and CONCORD_* (flag > env > file)', async () => {
  const chainDir = join(dir, 'all-interfaces');
  const port = await freePort();
  const up = JSON.parse(
    await concord('chain', 'up', '--dir', chainDir, '--host', '0.0.0.0', '--port', String(port), '--json'),
  ) as UpJson;
  const hosts = reachableHosts('0.0.0.0');
  assert.deepEqual(
    up.rpcUrls,
    hosts.map((h) => `http://${h}:${port}`),
  );
  assert.equal(up.rpcUrls.at(-1), `http://127.0.0.1:${port}`, 'loopback last');
  const deployment = readDeployment(join(chainDir, 'deployment.json'));
  assert.equal(deployment.rpcUrl, up.rpcUrls[0]);
  assert.notEqual(new URL(deployment.rpcUrl ?? '').hostname, '0.0.0.0');
  for (const url of up.rpcUrls) assert.equal(await chainId(url), '0x7a69', url);

  // No --chain or --contracts: concord.json in the working directory names them (contracts relative to it).
  const account = devAccount(1).address;
  const cwd = join(dir, 'operator');
  mkdirSync(cwd);
  writeFileSync(
    join(cwd, 'concord.json'),
    JSON.stringify({ chain: 'http://127.0.0.1:1', contracts: '../all-interfaces/deployment.json' }),
  );
  // The environment overrides the file (whose chain URL answers nothing).
  const viaEnv = JSON.parse(
    await concordIn({ cwd, env: { CONCORD_CHAIN: up.rpcUrls[0]! } }, 'balance', account, '--json'),
  ) as { address: string }[];
  assert.equal(viaEnv[0]?.address, account);
  // A flag overrides both.
  const viaFlag = JSON.parse(
    await concordIn(
      { cwd, env: { CONCORD_CHAIN: 'http://127.0.0.1:2' } },
      'balance',
      account,
      '--chain',
      up.rpcUrl,
      '--json',
    ),
  ) as { address: string }[];
  assert.equal(viaFlag[0]?.address, account);
  await concord('chain', 'down', '--dir', chainDir);
});
