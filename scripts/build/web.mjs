// Build step: bundles the dashboard (src/web/app.ts) with esbuild, which tsx
// already brings, and inlines it into src/web/index.html, written to
// generated/web/index.html, the single file every node serves at `/`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build as esbuild } from 'esbuild';

const root = resolve(new URL('../..', import.meta.url).pathname);
const outDir = join(root, 'generated', 'web');

/** Builds generated/web/index.html. */
export async function build() {
  const result = await esbuild({
    entryPoints: [join(root, 'src/web/app.ts')],
    bundle: true,
    format: 'iife',
    target: 'es2020',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const script = result.outputFiles[0].text.replaceAll('</script', '<\\/script');
  const page = readFileSync(join(root, 'src/web/index.html'), 'utf8').replace('/*APP*/', () => script);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'index.html'), page);
}

if (import.meta.url === `file://${process.argv[1]}`) await build();
