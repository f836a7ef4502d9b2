import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a node keeps its secrets inside its data directory. The store
 * (`src/store/openStore`) keeps its database and `blobs/` in the same
 * directory.
 */
export type NodePaths = {
  /** The data directory itself. */
  root: string;
  /** Directory of key files, mode 0700. */
  keysDir: string;
  /** The node's EVM private key (hex), mode 0600. */
  evmKey: string;
  /** The libp2p peer key, managed by the p2p host. */
  peerKey: string;
  /** Bearer token for state-changing API calls, mode 0600. */
  apiToken: string;
};

/** The layout of a node data directory (no I/O). */
export function nodePaths(dataDir: string): NodePaths {
  const keysDir = join(dataDir, 'keys');
  return {
    root: dataDir,
    keysDir,
    evmKey: join(keysDir, 'evm.key'),
    peerKey: join(keysDir, 'peer.key'),
    apiToken: join(dataDir, 'api-token'),
  };
}

/** Creates the data directory and its keys directory (mode 0700) if missing; returns the layout. */
export function ensureDataDir(dataDir: string): NodePaths {
  const paths = nodePaths(dataDir);
  mkdirSync(paths.root, { recursive: true, mode: 0o700 });
  mkdirSync(paths.keysDir, { recursive: true, mode: 0o700 });
  return paths;
}

/**
 * Creates `path` with `content` and mode 0600 unless it already exists;
 * returns whether it created it. The file appears atomically and complete
 * (temp file, fsync, hard link), so two processes starting at once or a
 * crash mid-write never leave a partial secret behind.
 */
export function createSecretFileOnce(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}
