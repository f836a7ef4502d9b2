import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { generatePrivateKey, privateKeyToAddress } from 'viem/accounts';
import { BaseError } from '../core/errors.ts';
import { nodePaths } from './dataDir.ts';
import { loadOrCreateApiToken, loadOrCreateNodeKeys } from './keys.ts';

const root = mkdtempSync(join(tmpdir(), 'concord-keys-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

function serializations(value: unknown): string[] {
  const out = [inspect(value, { depth: 10, showHidden: true }), String(value)];
  try {
    out.push(JSON.stringify(value));
  } catch {
    // circular structures cannot be JSON; inspect still covers them
  }
  if (value instanceof BaseError) out.push(value.message, value.stack ?? '', inspect(value.walk()));
  return out;
}

function assertNoSecret(value: unknown, secret: string): void {
  const bare = secret.replace(/^0x/, '').toLowerCase();
  for (const text of serializations(value))
    assert.ok(!text.toLowerCase().includes(bare), `leaked in: ${text.slice(0, 200)}`);
}

describe('loadOrCreateNodeKeys', () => {
  it('creates a 0600 key file on first start and reuses it after', () => {
    const dir = freshDir();
    const first = loadOrCreateNodeKeys(dir);
    const paths = nodePaths(dir);
    assert.equal(first.created, true);
    assert.equal(first.keyFile, paths.evmKey);
    assert.equal(statSync(paths.evmKey).mode & 0o777, 0o600);
    assert.equal(statSync(paths.keysDir).mode & 0o777, 0o700);
    const second = loadOrCreateNodeKeys(dir);
    assert.equal(second.created, false);
    assert.equal(second.address, first.address);
    assert.equal(privateKeyToAddress(second.privateKey.reveal()), first.address);
  });

  it('reads --key FILE and never writes the default key', () => {
    const dir = freshDir();
    const key = generatePrivateKey();
    const file = join(root, `k${n++}.key`);
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    const keys = loadOrCreateNodeKeys(dir, { keyFile: file });
    assert.equal(keys.address, privateKeyToAddress(key));
    assert.throws(() => statSync(nodePaths(dir).evmKey), { code: 'ENOENT' });
  });

  it('refuses a missing --key file', () => {
    assert.throws(() => loadOrCreateNodeKeys(freshDir(), { keyFile: join(root, 'nope.key') }), {
      name: 'KeyFileNotFoundError',
    });
  });

  it('refuses a key file readable by others', () => {
    const file = join(root, `k${n++}.key`);
    writeFileSync(file, generatePrivateKey());
    chmodSync(file, 0o644);
    assert.throws(() => loadOrCreateNodeKeys(freshDir(), { keyFile: file }), {
      name: 'KeyFilePermissionsError',
    });
  });

  it('refuses malformed keys without showing their content', () => {
    for (const content of [
      '0x1234',
      `${generatePrivateKey()}00`,
      `0x${'0'.repeat(64)}`,
      'not a key at all',
    ]) {
      const file = join(root, `k${n++}.key`);
      writeFileSync(file, content, { mode: 0o600 });
      const err = (() => {
        try {
          loadOrCreateNodeKeys(freshDir(), { keyFile: file });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      assert.ok(err instanceof BaseError);
      assert.equal(err.name, 'KeyFileInvalidError');
      assertNoSecret(err, content.length > 10 ? content : 'not-applicable-short-value');
    }
  });

  it('never shows the private key when the keys object is logged or serialized', () => {
    const keys = loadOrCreateNodeKeys(freshDir());
    const secret = keys.privateKey.reveal();
    assertNoSecret(keys, secret);
    assertNoSecret({ config: { keys } }, secret);
    assert.equal(JSON.parse(JSON.stringify(keys.privateKey)), '[redacted]');
  });
});

describe('loadOrCreateApiToken', () => {
  it('creates a random 0600 token once and keeps it', () => {
    const dir = freshDir();
    const token = loadOrCreateApiToken(dir);
    const paths = nodePaths(dir);
    assert.equal(statSync(paths.apiToken).mode & 0o777, 0o600);
    assert.equal(readFileSync(paths.apiToken, 'utf8').trim(), token.reveal());
    assert.ok(token.reveal().length >= 32);
    assert.equal(loadOrCreateApiToken(dir).reveal(), token.reveal());
    assert.notEqual(loadOrCreateApiToken(freshDir()).reveal(), token.reveal());
    assertNoSecret(token, token.reveal());
  });

  it('refuses a malformed token file', () => {
    const dir = freshDir();
    loadOrCreateApiToken(dir);
    writeFileSync(nodePaths(dir).apiToken, 'short', { mode: 0o600 });
    assert.throws(() => loadOrCreateApiToken(dir), { name: 'ApiTokenInvalidError' });
  });
});
