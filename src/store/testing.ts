import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeBytes } from './diskFull.ts';

/** Makes a fresh temp directory for a test and returns it with its cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `concord-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A small tmpfs mounted for a test (a disk that fills up), or why it could not be mounted. */
export type SmallDisk =
  | { dir: string; unmount: () => void; skip?: undefined }
  | { skip: string; dir?: undefined; unmount?: undefined };

/**
 * Mounts a tmpfs of `size` (e.g. `3m`) on a fresh temp directory. Needs root
 * and `mount`; otherwise returns the reason, for the test to skip with.
 */
export function mountSmallDisk(prefix: string, size: string): SmallDisk {
  const { dir, cleanup } = tempDir(prefix);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  if (mounted.status !== 0) {
    cleanup();
    const why = mounted.error?.message ?? mounted.stderr.trim();
    return { skip: `cannot mount a tmpfs (needs root): ${why}` };
  }
  return {
    dir,
    unmount: () => {
      spawnSync('umount', ['-l', dir]);
      cleanup();
    },
  };
}

/**
 * Writes `<dir>/filler` until the filesystem holding `dir` has at most
 * `leaveBytes` free (0: until ENOSPC); returns the filler's path.
 */
export function fillDisk(dir: string, leaveBytes = 0): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'a');
  try {
    for (const block of [64 * 1024, 4096, 512, 1]) {
      const bytes = new Uint8Array(block);
      try {
        while (freeBytes(dir) - block >= leaveBytes) writeSync(fd, bytes);
        if (leaveBytes === 0) while (true) writeSync(fd, bytes);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}
