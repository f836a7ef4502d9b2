#!/usr/bin/env node
// A `solc` executable for forge, over solc-js (the npm `solc` devDependency), so the invariant
// suite compiles offline: `forge test --use scripts/fuzz/solc-shim.mjs --offline`.
// Answers the two calls forge makes: `--version` and `--standard-json` (input JSON on stdin,
// output JSON on stdout). Imports forge did not inline are read from node_modules/ or the repo.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const solc = createRequire(import.meta.url)('solc');

/** solc import callback: a path as written, under node_modules/, or under the repository. */
function findImport(path) {
  for (const candidate of [path, join(root, 'node_modules', path), join(root, path)]) {
    if (existsSync(candidate)) return { contents: readFileSync(candidate, 'utf8') };
  }
  return { error: `File not found: ${path}` };
}

const args = process.argv.slice(2);
if (args.includes('--version')) {
  // forge parses "Version: <semver>"; solc-js reports "<semver>+commit.<hash>.Emscripten.clang".
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
} else if (args.includes('--standard-json')) {
  const input = readFileSync(0, 'utf8');
  process.stdout.write(solc.compile(input, { import: findImport }));
} else {
  process.stderr.write('solc-shim: only --version and --standard-json are supported\n');
  process.exit(2);
}
