#!/usr/bin/env node
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
// Runs a TypeScript entry point of Concord: loads the Promise.withResolvers
// polyfill, registers the tsx loader, then imports the file named first.
import { register } from 'tsx/esm/api';

register();
await import('../src/polyfill.ts');
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node bin/run.mjs FILE.ts [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], resolve(entry), ...rest];
await import(pathToFileURL(resolve(entry)).href);
