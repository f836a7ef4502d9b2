#!/usr/bin/env node
// Runs Concord's test suite with Node's own test runner. Finds every
// `*.test.ts` under src/, test/ and examples/ (or the paths given as
// arguments) and runs them with the TypeScript loader and the polyfill.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function findTests(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const paths = args.filter((a) => !a.startsWith('--'));
const roots = paths.length > 0 ? paths : ['src', 'test', 'examples'];
const files = roots.flatMap((p) => (p.endsWith('.test.ts') ? [p] : findTests(join(root, p), []))).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    './src/polyfill.ts',
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    ...flags,
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
