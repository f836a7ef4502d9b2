#!/usr/bin/env node
// `npm run fuzz`: runs the invariant suite (test/invariant/) with forge from the npm package
// @foundry-rs/forge, offline, compiling through scripts/fuzz/solc-shim.mjs.
// Runs and depth come from foundry.toml (500 x 200 = 100,000 calls per invariant) unless
// FOUNDRY_INVARIANT_RUNS / FOUNDRY_INVARIANT_DEPTH say otherwise. Arguments go to
// `forge test` as they are.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);

/** The forge binary of the platform package `@foundry-rs/forge-<os>-<arch>` (as src/chain/anvil.ts finds anvil). */
function forgeBinary() {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch] ?? process.arch;
  const pkg = `@foundry-rs/forge-${process.platform}-${arch}`;
  const exe = process.platform === 'win32' ? 'forge.exe' : 'forge';
  const bin = join(dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`)), 'bin', exe);
  if (!existsSync(bin)) throw new Error(`forge binary missing at ${bin}; reinstall @foundry-rs/forge`);
  return bin;
}

const forgeArgs = [
  'test',
  '--root',
  root,
  '--use',
  join(root, 'scripts', 'fuzz', 'solc-shim.mjs'),
  '--offline',
  ...process.argv.slice(2),
];
const result = spawnSync(forgeBinary(), forgeArgs, { cwd: root, stdio: 'inherit' });
if (result.error) throw result.error;
process.exit(result.status ?? 1);
