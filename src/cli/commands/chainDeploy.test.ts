import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { Address } from 'viem';
import { getNode } from '../../chain/actions/getNode.ts';
import { minStake } from '../../chain/actions/minStake.ts';
import { type AnvilInstance, startAnvil } from '../../chain/anvil.ts';
import { createConcordContext } from '../../chain/context.ts';
import { readDeployment } from '../../chain/deployment.ts';
import { devAccount } from '../../chain/devAccounts.ts';
import { parseCommandArgs } from '../command.ts';
import { chainDeployCommand } from './chainDeploy.ts';

// `concord chain deploy` against a plain anvil with nothing deployed, standing
// in for any EVM JSON-RPC endpoint (a non-default chain id, a non-zero account).
const run = promisify(execFile);
const bin = new URL('../../../bin/concord.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'concord-chain-deploy-'));
const keyFile = join(dir, 'deployer.key');
const out = join(dir, 'deployment.json');
const deployer = devAccount(7);
let anvil: AnvilInstance;

before(async () => {
  anvil = await startAnvil({ chainId: 4242 });
  writeFileSync(keyFile, `${deployer.privateKey}\n`, { mode: 0o600 });
});
after(async () => {
  await anvil?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function concord(...args: string[]): Promise<string> {
  return (await run(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 })).stdout;
}

/** Runs the command in this process (parsing argv as the CLI does); resolves to what it printed. */
async function inProcess(...argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  const { values, positionals } = parseCommandArgs(chainDeployCommand, argv);
  await chainDeployCommand.run({
    values,
    positionals,
    stdout: (l) => lines.push(l),
    stderr: () => undefined,
  });
  return lines;
}

type DeployJson = {
  file: string;
  rpcUrl: string;
  chainId: number;
  deployer: Address;
  addresses: Record<string, Address>;
};

test('chain deploy deploys to an existing chain and writes a deployment nodes can use', async () => {
  const printed = JSON.parse(
    await concord(
      'chain',
      'deploy',
      '--rpc',
      anvil.rpcUrl,
      '--key',
      keyFile,
      '--out',
      out,
      '--min-stake',
      '5000',
      '--json',
    ),
  ) as DeployJson;
  assert.equal(printed.chainId, 4242);
  assert.equal(printed.deployer, deployer.address);
  const written = readDeployment(out);
  assert.equal(written.rpcUrl, anvil.rpcUrl, 'nodes can start without --chain');
  assert.deepEqual(written.addresses, printed.addresses);
  const ctx = await createConcordContext({
    rpcUrl: anvil.rpcUrl,
    privateKey: deployer.privateKey,
    deployment: written,
  });
  assert.equal(await minStake(ctx), 5000n);
  assert.equal((await getNode(ctx)).registered, false, 'the registry is live and empty');

  await assert.rejects(inProcess('--rpc', anvil.rpcUrl, '--key', keyFile, '--out', out), {
    name: 'DeploymentFileExistsError',
  });
  const table = await inProcess('--chain', anvil.rpcUrl, '--key', keyFile, '--out', out, '--force');
  assert.ok(
    table.some((l) => /^chain id\s+4242$/.test(l)),
    table.join('\n'),
  );
  assert.notDeepEqual(readDeployment(out).addresses, written.addresses, '--force deployed a fresh set');
});

test('chain deploy refuses a missing --rpc or --key, a bad number and a key file others can read', async () => {
  await assert.rejects(inProcess('--key', keyFile), { name: 'UsageError', message: /--rpc/ });
  await assert.rejects(inProcess('--rpc', anvil.rpcUrl), { name: 'UsageError', message: /--key/ });
  await assert.rejects(
    inProcess('--rpc', anvil.rpcUrl, '--key', keyFile, '--out', join(dir, 'x.json'), '--min-stake', '1e18'),
    { name: 'UsageError', message: /--min-stake/ },
  );
  const openKey = join(dir, 'open.key');
  writeFileSync(openKey, `${deployer.privateKey}\n`, { mode: 0o644 });
  await assert.rejects(
    inProcess('--rpc', anvil.rpcUrl, '--key', openKey, '--out', join(dir, 'y.json')),
    (err: Error) => {
      assert.equal(err.name, 'KeyFilePermissionsError');
      assert.ok(!err.message.includes(deployer.privateKey.slice(2)), 'the key never appears in errors');
      return true;
    },
  );
});
