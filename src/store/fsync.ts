import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/** Flushes a directory's entries (new names, renames) to disk. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `dir` and any missing parents, flushing each parent that gained an
 * entry, so the directory survives a crash once this returns.
 */
export function mkdirDurable(dir: string): void {
  const first = mkdirSync(dir, { recursive: true });
  if (first === undefined) return;
  let created = dir;
  while (true) {
    const parent = dirname(created);
    fsyncDir(parent);
    if (created === first || parent === created) break;
    created = parent;
  }
}
