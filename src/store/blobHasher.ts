import { createHash } from 'node:crypto';
import type { Hex } from 'viem';

/** An incremental sha2-256 whose result has the format of `digestBytes` (`0x` + 64 hex). */
export type BlobHasher = {
  update(chunk: Uint8Array): void;
  /** The digest of everything passed to `update`; call once. */
  digest(): Hex;
};

/**
 * Starts an incremental blob digest, for blobs streamed from disk or the
 * network. It uses OpenSSL's sha2-256, so hashing keeps up with loopback
 * transfers; a test proves it equals `digestBytes` from `src/core/digest.ts`.
 */
export function createBlobHasher(): BlobHasher {
  const hash = createHash('sha256');
  return {
    update(chunk) {
      hash.update(chunk);
    },
    digest() {
      return `0x${hash.digest('hex')}`;
    },
  };
}
