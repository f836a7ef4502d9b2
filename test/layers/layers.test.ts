import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

// The README's layout table is the rule: a module may import its own folder and the rows below
// its own. This test reads the table and every import of every module under src/ (tests excepted).
const root = new URL('../..', import.meta.url).pathname;
const src = join(root, 'src');

/** Each src folder's row in the README table, counted from the bottom (0 = `core`). */
function layersFromReadme(): Map<string, number> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Layout'));
  const rows = table
    .split('\n')
    .filter((line) => line.startsWith('| `src/'))
    .map((line) => [...(line.split('|')[1] ?? '').matchAll(/`src\/([a-z0-9]+)\/`/g)].map((m) => m[1]!));
  const layers = new Map<string, number>();
  rows.forEach((folders, i) => {
    for (const folder of folders) layers.set(folder, rows.length - 1 - i);
  });
  return layers;
}

function modules(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) modules(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** The src folder of a path under src/, or undefined outside them (the polyfill, generated code). */
function folderOf(path: string): string | undefined {
  const parts = relative(src, path).split('/');
  return parts.length > 1 && parts[0] !== '..' ? parts[0] : undefined;
}

describe('layers', () => {
  const layers = layersFromReadme();

  it('the README table lists every folder under src/', () => {
    const folders = readdirSync(src).filter((name) => statSync(join(src, name)).isDirectory());
    assert.deepEqual(
      folders.filter((f) => !layers.has(f)),
      [],
      'add the folder to the README layout table',
    );
  });

  it('no module imports a folder in its own row or above', () => {
    const violations: string[] = [];
    for (const file of modules(src)) {
      const from = folderOf(file);
      if (from === undefined) continue;
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:from\s+|import\()['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const to = folderOf(resolve(dirname(file), match[1]!));
        if (to === undefined || to === from) continue;
        if ((layers.get(to) ?? Number.POSITIVE_INFINITY) >= (layers.get(from) ?? -1)) {
          violations.push(`${relative(root, file)} imports ${to}/ (${match[1]})`);
        }
      }
    }
    assert.deepEqual(violations, []);
  });
});
