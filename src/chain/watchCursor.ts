import { type Hash, isHash } from 'viem';
import { WatchCursorError } from './errors.ts';

/** A block a chain watcher delivered: its number and hash. */
export type BlockRef = { number: bigint; hash: Hash };

/**
 * Where a chain watcher stands: the recent blocks it covered, oldest first, the
 * last being the last block covered. Blocks of one branch only: on a reorg the
 * watcher cuts it back to the common ancestor. Persist it with
 * {@link formatCursor} to resume after a restart.
 */
export type WatchCursor = readonly BlockRef[];

/** A cursor as text (JSON `[[number, hash], ...]`) for a settings store. */
export function formatCursor(cursor: WatchCursor): string {
  return JSON.stringify(cursor.map((b) => [b.number.toString(), b.hash]));
}

/** Reads a cursor written by {@link formatCursor}; throws `WatchCursorError` on anything else. */
export function parseCursor(text: string): WatchCursor {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new WatchCursorError('The saved chain cursor is not JSON.', { details: text.slice(0, 80), cause });
  }
  const ok =
    Array.isArray(value) &&
    value.every(
      (e) =>
        Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && /^\d+$/.test(e[0]) && isHash(e[1]),
    );
  if (!ok) {
    throw new WatchCursorError('The saved chain cursor is not a list of block numbers and hashes.', {
      details: text.slice(0, 80),
    });
  }
  return (value as [string, Hash][]).map(([n, hash]) => ({ number: BigInt(n), hash }));
}
