// Entry point of Concord's worker threads: registers the TypeScript loader,
// loads the Promise.withResolvers polyfill, then imports the module named by
// `workerData.module` (a path or file URL of a .ts file).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import('../src/polyfill.ts');
const target = String(workerData?.module ?? '');
if (!target) throw new Error('bin/worker.mjs: workerData.module must name the worker module to load');
await import(target.startsWith('file:') ? target : pathToFileURL(resolve(target)).href);
