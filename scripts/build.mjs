#!/usr/bin/env node
// `npm run build` (also run by `npm ci` through `prepare`): every generated
// artifact of Concord, built offline from sources in the repository.
// Each step is a module under scripts/build/ exporting `build()`.
import { readdirSync } from 'node:fs';

const dir = new URL('./build/', import.meta.url);
let steps = [];
try {
  steps = readdirSync(dir)
    .filter((f) => f.endsWith('.mjs'))
    .sort();
} catch {}
for (const step of steps) {
  const started = performance.now();
  const mod = await import(new URL(step, dir).href);
  await mod.build();
  console.log(`build: ${step.replace(/\.mjs$/, '')} (${Math.round(performance.now() - started)} ms)`);
}
