import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { devAccount } from '../../chain/devAccounts.ts';
import { parseCommandArgs } from '../command.ts';
import { nodeKeysCommand } from './nodeKeys.ts';

const dir = mkdtempSync(join(tmpdir(), 'concord-node-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function nodeKeys(
  ...argv: string[]
): Promise<{ address: string; peerId: string; keyFile: string; created: boolean }> {
  const lines: string[] = [];
  const { values, positionals } = parseCommandArgs(nodeKeysCommand, [...argv, '--json']);
  await nodeKeysCommand.run({ values, positionals, stdout: (l) => lines.push(l), stderr: () => undefined });
  assert.equal(lines.length, 1);
  return JSON.parse(lines[0] ?? '');
}

test('node keys makes the keys once and prints the same identity every time, with no secret', async () => {
  const data = join(dir, 'node');
  const first = await nodeKeys('--data', data);
  assert.equal(first.created, true);
  assert.match(first.address, /^0x[0-9a-fA-F]{40}$/);
  assert.match(first.peerId, /^12D3KooW/);
  assert.equal(statSync(join(data, 'keys', 'evm.key')).mode & 0o777, 0o600);
  assert.equal(statSync(join(data, 'keys', 'peer.key')).mode & 0o777, 0o600);
  const again = await nodeKeys('--data', data);
  assert.deepEqual(again, { ...first, created: false });
});

test('node keys reports the account of --key FILE and refuses a key file others can read', async () => {
  const dev = devAccount(3);
  const keyFile = join(dir, 'operator.key');
  writeFileSync(keyFile, `${dev.privateKey}\n`, { mode: 0o600 });
  const shown = await nodeKeys('--data', join(dir, 'other'), '--key', keyFile);
  assert.equal(shown.address, dev.address);
  assert.ok(!JSON.stringify(shown).includes(dev.privateKey.slice(2)));
  const open = join(dir, 'open.key');
  writeFileSync(open, `${dev.privateKey}\n`, { mode: 0o644 });
  await assert.rejects(nodeKeys('--data', join(dir, 'other'), '--key', open), {
    name: 'KeyFilePermissionsError',
  });
});
