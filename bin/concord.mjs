#!/usr/bin/env node
// The `concord` command: registers the TypeScript loader and starts the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/polyfill.ts');
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
