import { statfsSync } from 'node:fs';
import { DiskFullError } from './errors.ts';

/** Error codes that mean the disk (or the user's quota) has no room: Node's errno names and SQLite's. */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** What a user can do about a full disk. */
const DISK_FULL_HINT = 'Free space on the disk of the data directory; the node resumes by itself.';

/** Whether `err` says the disk has no room (ENOSPC, EDQUOT, SQLITE_FULL). */
export function isDiskFull(err: unknown): boolean {
  if (err instanceof DiskFullError) return true;
  const code = err !== null && typeof err === 'object' && 'code' in err ? err.code : undefined;
  return typeof code === 'string' && DISK_FULL_CODES.has(code);
}

/** `err` as a `DiskFullError` when it says the disk is full, otherwise `err` unchanged. */
export function asDiskFull(err: unknown, what: string): unknown {
  if (err instanceof DiskFullError || !isDiskFull(err)) return err;
  return new DiskFullError(`The disk is full: could not ${what}.`, {
    details: (err as { code: string }).code,
    hint: DISK_FULL_HINT,
    cause: err,
  });
}

/** A `DiskFullError` saying `bytes` do not fit in the `free` bytes left. */
export function noRoomError(what: string, bytes: number, free: number): DiskFullError {
  return new DiskFullError(`The disk is too full to ${what}.`, {
    details: `needs ${bytes} bytes plus headroom, ${free} free`,
    hint: DISK_FULL_HINT,
  });
}

/** Bytes an unprivileged process may still write on the filesystem holding `path`. */
export function freeBytes(path: string): number {
  const stats = statfsSync(path);
  return stats.bavail * stats.bsize;
}

/**
 * Wraps an object of synchronous methods (the journal, settings, peer book)
 * so that a disk-full error any method throws surfaces as `DiskFullError`
 * naming the method. Methods run on the original object.
 */
export function mappingDiskFull<T extends object>(target: T, what: string): T {
  return new Proxy(target, {
    get(obj, key) {
      const value: unknown = Reflect.get(obj, key, obj);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          return (value as (...a: unknown[]) => unknown).apply(obj, args);
        } catch (err) {
          throw asDiskFull(err, `write the ${what} (${String(key)})`);
        }
      };
    },
  });
}
