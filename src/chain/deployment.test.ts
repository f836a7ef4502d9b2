import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CONTRACT_NAMES, type Deployment, readDeployment, writeDeployment } from './deployment.ts';

const dir = mkdtempSync(join(tmpdir(), 'concord-deployment-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sample: Deployment = {
  chainId: 31337,
  rpcUrl: 'http://127.0.0.1:8545',
  addresses: Object.fromEntries(
    CONTRACT_NAMES.map((n, i) => [n, `0x${(i + 1).toString(16).padStart(40, '0')}`]),
  ) as Deployment['addresses'],
  deployedAt: 12n,
};

test('writeDeployment then readDeployment round-trips', () => {
  const file = join(dir, 'sub', 'deployment.json');
  writeDeployment(file, sample);
  assert.deepEqual(readDeployment(file), sample);
});

test('readDeployment of a missing file is a DeploymentFileError', () => {
  assert.throws(
    () => readDeployment(join(dir, 'nope.json')),
    (err: Error) => err.name === 'DeploymentFileError',
  );
});

test('readDeployment rejects a bad address and a missing contract', () => {
  const file = join(dir, 'bad.json');
  const json = JSON.parse(JSON.stringify({ ...sample, deployedAt: '12' }));
  json.addresses.token = '0x1234';
  writeFileSync(file, JSON.stringify(json));
  assert.throws(
    () => readDeployment(file),
    (err: Error) => err.name === 'DeploymentFileError',
  );
  delete json.addresses.token;
  writeFileSync(file, JSON.stringify(json));
  assert.throws(
    () => readDeployment(file),
    (err: Error) => err.name === 'DeploymentFileError',
  );
});
