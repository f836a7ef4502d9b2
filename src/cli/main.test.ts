import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const bin = new URL('../../bin/concord.mjs', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

test('concord --version prints the package version', () => {
  const out = execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
  assert.equal(out.trim(), pkg.version);
});

test('concord --help lists usage', () => {
  const out = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.match(out, /Usage: concord <command>/);
});

test('an unknown command exits 2 with a hint', () => {
  const r = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
});

test('a malformed --max-model-memory exits 2 naming the flag, before starting anything', () => {
  const r = spawnSync(
    process.execPath,
    [bin, 'node', 'start', '--chain', 'http://127.0.0.1:1', '--max-model-memory', '2 parsecs'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 2);
  assert.match(r.stderr, /UsageError: --max-model-memory must be a byte count/);
});

test('a config file with an unknown key or a wrong type exits 2 naming the key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'concord-config-'));
  try {
    writeFileSync(join(dir, 'concord.json'), JSON.stringify({ chain: 'http://127.0.0.1:1', rpc: 'x' }));
    const unknown = spawnSync(process.execPath, [bin, 'balance', '--json'], { encoding: 'utf8', cwd: dir });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /ConfigError: Unknown key 'rpc'/);
    writeFileSync(join(dir, 'typed.json'), JSON.stringify({ node: 8080 }));
    const typed = spawnSync(process.execPath, [bin, 'task', 'list', '--config', 'typed.json'], {
      encoding: 'utf8',
      cwd: dir,
    });
    assert.equal(typed.status, 2);
    assert.match(typed.stderr, /ConfigError: Key 'node' in config file .* must be a non-empty string/);
    const missing = spawnSync(process.execPath, [bin, 'task', 'list', '--config', 'none.json'], {
      encoding: 'utf8',
      cwd: dir,
    });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /ConfigError: Cannot read config file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the usage line of node start names every flag it takes', () => {
  const out = execFileSync(process.execPath, [bin, 'node', 'start', '--help'], { encoding: 'utf8' });
  const usage = out.slice(0, out.indexOf('\n\n'));
  for (const flag of [
    '--api-host',
    '--stake',
    '--poll-ms',
    '--log-level',
    '--log-format',
    '--max-lock-seconds',
  ])
    assert.ok(usage.includes(`[${flag} `), `${flag} missing from:\n${usage}`);
});
