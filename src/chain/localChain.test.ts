import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ANVIL_STATE_FILE, freePort, isRunning } from './anvil.ts';
import { downLocalChain, upLocalChain } from './localChain.ts';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'concord-local-chain-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const dir of dirs) {
    await downLocalChain({ dir });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('up after down resumes the same chain and contracts', async () => {
  const dir = freshDir();
  const first = await upLocalChain({ dir, port: await freePort() });
  assert.equal(await downLocalChain({ dir }), true);
  const resumed = await upLocalChain({ dir });
  assert.equal(resumed.alreadyRunning, false);
  assert.equal(resumed.reusedDeployment, true);
  assert.deepEqual(resumed.deployment.addresses, first.deployment.addresses);
  assert.equal(await downLocalChain({ dir }), true);
  assert.equal(await downLocalChain({ dir }), false, 'nothing left to stop');
});

test('a local chain whose state was wiped gets a fresh deployment', async () => {
  const dir = freshDir();
  const first = await upLocalChain({ dir, port: await freePort() });
  assert.equal(first.reusedDeployment, false);
  assert.equal(await downLocalChain({ dir }), true);
  assert.equal(isRunning(first.pid), false);
  rmSync(join(dir, ANVIL_STATE_FILE));
  const second = await upLocalChain({ dir });
  assert.equal(second.alreadyRunning, false);
  assert.equal(second.reusedDeployment, false, 'the old addresses have no code on the new chain');
  assert.equal(second.deployment.deployedAt, first.deployment.deployedAt);
  assert.equal(await downLocalChain({ dir }), true);
  assert.equal(await downLocalChain({ dir }), false);
});

test('an anvil left without a deployment file is replaced, not orphaned', async () => {
  const dir = freshDir();
  const first = await upLocalChain({ dir, port: await freePort() });
  rmSync(join(dir, 'deployment.json'));
  const second = await upLocalChain({ dir, port: await freePort() });
  assert.equal(isRunning(first.pid), false, 'the unusable anvil was stopped');
  assert.notEqual(second.pid, first.pid);
  assert.equal(second.alreadyRunning, false);
  assert.equal(await downLocalChain({ dir }), true);
});
