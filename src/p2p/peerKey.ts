import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { fsyncDir, mkdirDurable } from '../store/fsync.ts';
import { PEER_KEY_FILE } from './constants.ts';
import { PeerKeyInvalidError, PeerKeyPermissionsError } from './errors.ts';

/**
 * Returns the node's persistent Ed25519 peer key from `<dataDir>/peer.key`,
 * creating it (mode 0600, written atomically) on first start, so a node keeps
 * its peer id across restarts. A key file readable by group or others is
 * refused, as ssh does.
 */
export async function loadOrCreatePeerKey(dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, PEER_KEY_FILE);
  let mode: number | undefined;
  try {
    mode = statSync(path).mode;
  } catch {
    mode = undefined;
  }
  if (mode === undefined) return createPeerKey(dataDir, path);
  if ((mode & 0o077) !== 0) {
    throw new PeerKeyPermissionsError(`The peer key ${path} is accessible by other users.`, {
      details: `mode ${(mode & 0o777).toString(8)}`,
      hint: `Run: chmod 600 ${path}`,
    });
  }
  let key: PrivateKey;
  try {
    key = privateKeyFromProtobuf(readFileSync(path));
  } catch (cause) {
    throw invalid(path, cause);
  }
  if (key.type !== 'Ed25519') throw invalid(path, undefined);
  return key;
}

async function createPeerKey(dataDir: string, path: string): Promise<PrivateKey> {
  mkdirDurable(dataDir);
  const key = await generateKeyPair('Ed25519');
  const bytes = privateKeyToProtobuf(key);
  const tmp = join(dataDir, `.${PEER_KEY_FILE}.${randomUUID()}`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dataDir);
  return key;
}

function invalid(path: string, cause: unknown): PeerKeyInvalidError {
  return new PeerKeyInvalidError(`The file ${path} does not hold an Ed25519 peer key.`, {
    hint: 'Move it away to let the node create a new key (the peer id will change).',
    cause,
  });
}
