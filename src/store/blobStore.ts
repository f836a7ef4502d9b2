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
import { BaseError } from '../core/errors.ts';
import { type ModelOpening, modelDigest, opensDigest } from '../model/pieces/digest.ts';
import { checkpointOpening } from '../tasks/checkpointPieces.ts';
import { createBlobHasher } from './blobHasher.ts';
import { asDiskFull, freeBytes, noRoomError } from './diskFull.ts';
import {
  BlobCorruptError,
  BlobDigestFormatError,
  BlobNotCheckpointError,
  BlobNotStoredError,
  BlobSizeLimitError,
  BlobWriteMismatchError,
  BlobWriterClosedError,
} from './errors.ts';
import { fsyncDir, mkdirDurable } from './fsync.ts';
import { parseModelOpening } from './modelOpening.ts';

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
   * moves the blob into place; returns its digest. With a model `opening`
   * the bytes must hash to its `fileDigest`; the blob is stored (opening
   * first, beside it) under the model digest, which `expected` then names.
   */
  commit(expected?: Hex, opening?: ModelOpening): Hex;
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
  /** The opening of a model blob (stored under its model digest); `undefined` for a plain blob. */
  opening?: ModelOpening;
};

/**
 * Content-addressed blobs on disk under `<root>/ab/cd/<hex>`. Writes go to a
 * temp file that is fsynced and renamed into place (then the directory is
 * fsynced), so a crash leaves either the whole blob or nothing. Every read
 * checks the bytes against the digest.
 *
 * A model checkpoint (`putModel`) is addressed by its model digest
 * D = modelDigest(R, S) instead of its sha256 S; its opening (R, S) lives
 * beside it in `<hex>.opening`, written durably before the blob, so a stored
 * model blob always has its opening. Reads check such a blob's bytes against
 * S and the opening against D.
 */
export class BlobStore {
  readonly root: string;
  readonly maxBlobBytes: number;
  readonly #tmp: string;
  /** Blobs refused for lack of room, by digest, with the bytes they need. */
  readonly #refused = new Map<string, number>();
  /** Openings already read and checked against their model digest, by digest. */
  readonly #openings = new Map<string, ModelOpening>();

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
    return this.#put(bytes);
  }

  /**
   * Stores a checkpoint that is (or becomes) a model version durably under
   * its model digest D = modelDigest(checkpointOpening(bytes)), with its
   * opening beside it; returns D. Throws `BlobNotCheckpointError` (with the
   * reader's error as cause) for bytes that are no checkpoint.
   */
  putModel(bytes: Uint8Array): Hex {
    let opening: ModelOpening;
    try {
      opening = checkpointOpening(bytes);
    } catch (cause) {
      if (!(cause instanceof BaseError)) throw cause;
      throw new BlobNotCheckpointError('The bytes are not a model checkpoint.', {
        details: cause.shortMessage,
        hint: 'Store only Concord checkpoints (safetensors with the model config in their metadata) as models.',
        cause,
      });
    }
    return this.#put(bytes, opening);
  }

  #put(bytes: Uint8Array, opening?: ModelOpening): Hex {
    this.ensureRoom(bytes.byteLength);
    const writer = this.createWriter();
    try {
      writer.write(bytes);
      return writer.commit(undefined, opening);
    } finally {
      writer.abort();
    }
  }

  /**
   * The opening (R, S) of a model blob stored under its model digest;
   * `undefined` for a plain blob or a digest not stored. Throws
   * `BlobCorruptError` when the opening file does not open the digest.
   */
  openingOf(digest: Hex): ModelOpening | undefined {
    const path = `${this.pathOf(digest)}${OPENING_SUFFIX}`;
    const key = digest.toLowerCase();
    const known = this.#openings.get(key);
    if (known) return known;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
    const opening = parseOpeningFile(text);
    if (opening === undefined || !opensDigest(opening, digest)) throw corrupt(digest, path);
    this.#openings.set(key, opening);
    return opening;
  }

  /** The sha256 a stored blob's bytes must have: its digest, or a model blob's file digest S. */
  #fileDigestOf(digest: Hex): Hex {
    return (this.openingOf(digest)?.fileDigest ?? digest).toLowerCase() as Hex;
  }

  /** The blob's bytes, verified against the digest (a model blob: against its opening). */
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
    if (hasher.digest() !== this.#fileDigestOf(digest)) throw corrupt(digest, path);
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
      commit: (expected, opening) => {
        const handle = openFd();
        onDiskFull('flush a blob', () => fsyncSync(handle));
        closeFd();
        const fileDigest = hasher.digest();
        const digest = opening ? (modelDigest(opening).toLowerCase() as Hex) : fileDigest;
        const mismatch =
          opening && fileDigest !== opening.fileDigest.toLowerCase()
            ? `the opening's file digest is ${opening.fileDigest}, the bytes' ${fileDigest}`
            : expected !== undefined && digest !== expected.toLowerCase()
              ? `expected ${expected}, got ${digest}`
              : undefined;
        if (mismatch !== undefined) {
          rmSync(tmpPath, { force: true });
          throw new BlobWriteMismatchError('The streamed bytes do not match the expected digest.', {
            details: mismatch,
          });
        }
        const path = this.pathOf(digest);
        const dir = join(path, '..');
        onDiskFull('store a blob', () => {
          mkdirDurable(dir);
          if (opening) this.#writeOpening(path, opening);
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

  /**
   * Writes a model blob's opening beside where the blob will be (temp file,
   * fsync, rename, fsync of the directory), before the blob is moved there.
   */
  #writeOpening(blobPath: string, opening: ModelOpening): void {
    const tmpPath = join(this.#tmp, `${process.pid}-${randomUUID()}${OPENING_SUFFIX}`);
    const text = JSON.stringify({
      root: opening.root.toLowerCase(),
      fileDigest: opening.fileDigest.toLowerCase(),
    });
    try {
      const fd = openSync(tmpPath, 'wx', 0o644);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      rmSync(tmpPath, { force: true });
      throw err;
    }
    const path = `${blobPath}${OPENING_SUFFIX}`;
    renameSync(tmpPath, path);
    fsyncDir(join(path, '..'));
  }

  /** Opens a streaming, verified read (see `BlobReadStream`). */
  async openRead(digest: Hex, chunkBytes = BLOB_READ_CHUNK_BYTES): Promise<BlobReadStream> {
    const path = this.pathOf(digest);
    const opening = this.openingOf(digest);
    const fileDigest = this.#fileDigestOf(digest);
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
        if (hasher.digest() !== fileDigest) throw corrupt(digest, path);
      } finally {
        await pending?.catch(() => {});
        await handle.close();
      }
    }
    return opening ? { size, chunks: chunks(), opening } : { size, chunks: chunks() };
  }

  /** Removes a blob and a model blob's opening (for example one found corrupt, before fetching it again). */
  deleteBlob(digest: Hex): void {
    const path = this.pathOf(digest);
    this.#openings.delete(digest.toLowerCase());
    // The blob goes first: a stored model blob never lacks its opening.
    const removedBlob = unlinkIfPresent(path);
    const removedOpening = unlinkIfPresent(`${path}${OPENING_SUFFIX}`);
    if (removedBlob || removedOpening) fsyncDir(join(path, '..'));
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

/** The suffix of the file that holds a model blob's opening beside the blob. */
const OPENING_SUFFIX = '.opening';

/** A stored opening file's contents, or `undefined` when it is not a JSON opening. */
function parseOpeningFile(text: string): ModelOpening | undefined {
  try {
    return parseModelOpening(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Removes a file; whether it was there. */
function unlinkIfPresent(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
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
