#!/usr/bin/env node
// `npm run docs:api`: writes docs/openapi.json, the OpenAPI 3.1 reference of
// a node's HTTP API, built from the route schemas a node registers (see
// src/cli/openApiReference.ts). `--check` only compares, exiting 1 if stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
await import('../src/polyfill.ts');
const { OPENAPI_FILE, generateOpenApiReference } = await import('../src/cli/openApiReference.ts');
const text = await generateOpenApiReference();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(OPENAPI_FILE, 'utf8');
  } catch {}
  if (current !== text) {
    console.error(`${OPENAPI_FILE} is stale: run \`npm run docs:api\`.`);
    process.exit(1);
  }
  console.log(`${OPENAPI_FILE} is current.`);
} else {
  writeFileSync(OPENAPI_FILE, text);
  console.log(`wrote ${OPENAPI_FILE}`);
}
