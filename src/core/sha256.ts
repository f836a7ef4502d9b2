import { sha256 as portableSha256 } from '@noble/hashes/sha2.js';
import type { MultihashDigest } from 'multiformats/hashes/interface';
import { sha256 as platformSha256 } from 'multiformats/hashes/sha2';

/**
 * Synchronous sha2-256. On Node, multiformats' hasher wraps the native
 * OpenSSL hash (about 7x faster than pure JS in bench/codec.ts); in a browser
 * bundle that hasher is asynchronous, so the pure-JS @noble/hashes is used
 * instead. SHA-256 is exactly specified, so both give identical bytes.
 */
const nativeIsSync = !(platformSha256.digest(new Uint8Array(0)) instanceof Promise);

/** Returns the 32-byte sha2-256 hash of `bytes`. */
export function sha256(bytes: Uint8Array): Uint8Array {
  if (!nativeIsSync) return portableSha256(bytes);
  return (platformSha256.digest(bytes) as MultihashDigest).digest;
}
