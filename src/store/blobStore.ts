import { randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hex } from 'viem';
import { isBytes32 } from '../core/bytes32.ts';
import { createBlobHasher } from './blobHasher.ts';
import { asDiskFull, freeBytes, noRoomError } from './diskFull.ts';
import {
  BlobCorruptError,
  BlobDigestFormatError,
  BlobNotStoredError,
  BlobSizeLimitError,
  BlobWriteMismatchError,
  BlobWriterClosedError,
} from './errors.ts';
import { fsyncDir, mkdirDurable } from './fsync.ts';

/** Default largest blob the store accepts: 1 GiB. */
export const DEFAULT_MAX_BLOB_BYTES = 1024 * 1024 * 1024;
/** Default chunk size of streaming reads: 256 KiB. */
export const BLOB_READ_CHUNK_BYTES = 256 * 1024;
/**
 * Room a blob write leaves free on the disk beyond the blob itself, for the
 * database and the log: 256 KiB.
 */
export const DISK_HEADROOM_BYTES = 256 * 1024;
/** Bytes read from disk at a time by streaming reads. */
const READ_BLOCK_BYTES = 1024 * 1024;

/** A blob being streamed onto disk; it appears in the store only on `commit`. */
export type BlobWriter = {
  /** Appends bytes (synchronously written to the temp file). */
  write(chunk: Uint8Array): void;
  /**
   * Flushes, checks the digest against `expected` if given, and atomically
   * moves the blob into place; returns its digest.
   */
  commit(expected?: Hex): Hex;
  /** Discards the temp file. Safe to call after `commit` or twice. */
  abort(): void;
  readonly bytesWritten: number;
};

/** A verified streaming read of one blob. */
export type BlobReadStream = {
  /** Size in bytes, known before the first chunk. */
  size: number;
  /** The blob's bytes; throws `BlobCorruptError` at the end if they do not match the digest. */
  chunks: AsyncIterable<Uint8Array>;
};

/**
 * Content-addressed blobs on disk under `<root>/ab/cd/<hex>`. Writes go to a
 * temp file that is fsynced and renamed into place (then the directory is
 * fsynced), so a crash leaves either the whole blob or nothing. Every read
 * checks the bytes against the digest.
 */
export class BlobStore {
  readonly root: string;
  readonly maxBlobBytes: number;
  readonly #tmp: string;
  /** Blobs refused for lack of room, by digest, with the bytes they need. */
  readonly #refused = new Map<string, number>();

  /** Use `openStore` rather than constructing this directly; clears temp files left by a crash. */
  constructor(root: string, maxBlobBytes = DEFAULT_MAX_BLOB_BYTES) {
    this.root = root;
    this.maxBlobBytes = maxBlobBytes;
    this.#tmp = join(root, 'tmp');
    mkdirDurable(this.#tmp);
    for (const name of readdirSync(this.#tmp)) rmSync(join(this.#tmp, name), { force: true });
  }

  /** Stores `bytes` durably and returns their digest (storing again rewrites the same file). */
  putBlob(bytes: Uint8Array): Hex {
    this.ensureRoom(bytes.byteLength);
    const writer = this.createWriter();
    try {
      writer.write(bytes);
      return writer.commit();
    } finally {
      writer.abort();
    }
  }

  /** The blob's bytes, verified against the digest. */
  getBlob(digest: Hex): Uint8Array {
    const path = this.pathOf(digest);
    let bytes: Uint8Array;
    try {
      const buf = readFileSync(path);
      bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      throw notStored(digest, err);
    }
    const hasher = createBlobHasher();
    hasher.update(bytes);
    if (hasher.digest() !== digest.toLowerCase()) throw corrupt(digest, path);
    return bytes;
  }

  /** Whether a blob with this digest is on disk (not verified; reads verify). */
  hasBlob(digest: Hex): boolean {
    return existsSync(this.pathOf(digest));
  }

  /** Size in bytes of a stored blob, or `undefined`. */
  blobSize(digest: Hex): number | undefined {
    try {
      return statSync(this.pathOf(digest)).size;
    } catch {
      return undefined;
    }
  }

  /**
   * Throws `DiskFullError` unless the disk has room for `bytes` more plus
   * `DISK_HEADROOM_BYTES` (checked with statfs). With a digest, a refusal is
   * remembered for `ensureRoomToRetry` (the smallest size refused: sizes come
   * from peers, and one that announces too much must not block the others).
   */
  ensureRoom(bytes: number, digest?: Hex): void {
    const free = freeBytes(this.root);
    const key = digest?.toLowerCase();
    if (free >= bytes + DISK_HEADROOM_BYTES) {
      if (key !== undefined) this.#refused.delete(key);
      return;
    }
    if (key !== undefined) this.#refused.set(key, Math.min(this.#refused.get(key) ?? bytes, bytes));
    throw noRoomError(`store blob ${digest ?? `of ${bytes} bytes`}`, bytes, free);
  }

  /**
   * Before fetching a blob again: throws `DiskFullError` (without touching
   * the network) while a blob that `ensureRoom` refused still does not fit.
   * A digest never refused passes.
   */
  ensureRoomToRetry(digest: Hex): void {
    const bytes = this.#refused.get(digest.toLowerCase());
    if (bytes !== undefined) this.ensureRoom(bytes, digest);
  }

  /** Starts a streaming write; see `BlobWriter`. Disk-full failures throw `DiskFullError`. */
  createWriter(): BlobWriter {
    const tmpPath = join(this.#tmp, `${process.pid}-${randomUUID()}`);
    let fd: number | undefined = onDiskFull('start a blob', () => openSync(tmpPath, 'wx', 0o644));
    const hasher = createBlobHasher();
    let bytesWritten = 0;
    const closeFd = () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    };
    const openFd = (): number => {
      if (fd === undefined)
        throw new BlobWriterClosedError('This blob writer was already committed or aborted.');
      return fd;
    };
    let committed = false;
    return {
      get bytesWritten() {
        return bytesWritten;
      },
      write: (chunk) => {
        const handle = openFd();
        if (bytesWritten + chunk.byteLength > this.maxBlobBytes) {
          throw new BlobSizeLimitError(`The blob exceeds the store's limit of ${this.maxBlobBytes} bytes.`, {
            hint: 'Raise maxBlobBytes when opening the store if such blobs are expected.',
          });
        }
        onDiskFull('write a blob', () => {
          let off = 0;
          while (off < chunk.byteLength) off += writeSync(handle, chunk, off, chunk.byteLength - off);
        });
        hasher.update(chunk);
        bytesWritten += chunk.byteLength;
      },
      commit: (expected) => {
        const handle = openFd();
        onDiskFull('flush a blob', () => fsyncSync(handle));
        closeFd();
        const digest = hasher.digest();
        if (expected !== undefined && digest !== expected.toLowerCase()) {
          rmSync(tmpPath, { force: true });
          throw new BlobWriteMismatchError('The streamed bytes do not match the expected digest.', {
            details: `expected ${expected}, got ${digest}`,
          });
        }
        const path = this.pathOf(digest);
        const dir = join(path, '..');
        onDiskFull('store a blob', () => {
          mkdirDurable(dir);
          renameSync(tmpPath, path);
          fsyncDir(dir);
        });
        committed = true;
        return digest;
      },
      abort: () => {
        closeFd();
        if (!committed) rmSync(tmpPath, { force: true });
      },
    };
  }

  /** Opens a streaming, verified read (see `BlobReadStream`). */
  async openRead(digest: Hex, chunkBytes = BLOB_READ_CHUNK_BYTES): Promise<BlobReadStream> {
    const path = this.pathOf(digest);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      throw notStored(digest, err);
    }
    const size = (await handle.stat()).size;
    const readBlock = async (position: number): Promise<Uint8Array> => {
      const buf = new Uint8Array(Math.min(READ_BLOCK_BYTES, size - position));
      let filled = 0;
      while (filled < buf.byteLength) {
        const { bytesRead } = await handle.read(buf, filled, buf.byteLength - filled, position + filled);
        if (bytesRead === 0) throw corrupt(digest, path);
        filled += bytesRead;
      }
      return buf;
    };
    async function* chunks(): AsyncGenerator<Uint8Array> {
      const hasher = createBlobHasher();
      // One block is always being read ahead while the previous one is consumed.
      let pending: Promise<Uint8Array> | undefined = size > 0 ? readBlock(0) : undefined;
      pending?.catch(() => {});
      try {
        let position = 0;
        while (pending) {
          const block: Uint8Array = await pending;
          position += block.byteLength;
          pending = position < size ? readBlock(position) : undefined;
          pending?.catch(() => {});
          hasher.update(block);
          for (let off = 0; off < block.byteLength; off += chunkBytes)
            yield block.subarray(off, off + chunkBytes);
        }
        if (hasher.digest() !== digest.toLowerCase()) throw corrupt(digest, path);
      } finally {
        await pending?.catch(() => {});
        await handle.close();
      }
    }
    return { size, chunks: chunks() };
  }

  /** Removes a blob (for example one found corrupt, before fetching it again). */
  deleteBlob(digest: Hex): void {
    const path = this.pathOf(digest);
    try {
      unlinkSync(path);
    } catch {
      return;
    }
    fsyncDir(join(path, '..'));
  }

  /** The file that holds (or would hold) the blob. */
  pathOf(digest: Hex): string {
    if (!isBytes32(digest)) {
      throw new BlobDigestFormatError('A blob digest must be 0x followed by 64 hex digits.', {
        details: `got ${JSON.stringify(String(digest as unknown).slice(0, 80))}`,
      });
    }
    const hex = digest.slice(2).toLowerCase();
    return join(this.root, hex.slice(0, 2), hex.slice(2, 4), hex);
  }
}

/** Runs a file-system write, turning a full disk into `DiskFullError`. */
function onDiskFull<T>(what: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    throw asDiskFull(err, what);
  }
}

function notStored(digest: Hex, cause: unknown): BlobNotStoredError {
  return new BlobNotStoredError(`No blob ${digest} in the store.`, {
    hint: 'Fetch it from a peer first, or check hasBlob before reading.',
    cause,
  });
}

function corrupt(digest: Hex, path: string): BlobCorruptError {
  return new BlobCorruptError(`The stored blob ${digest} does not match its digest.`, {
    details: path,
    hint: 'Delete it with deleteBlob and fetch it again from a peer.',
  });
}
