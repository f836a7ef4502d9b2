import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
