import { bytesToHex, type Hex } from 'viem';

/**
 * Returns 32 random bytes as hex from the platform's cryptographic random
 * source, the salt that keeps a commitment from revealing its result. Store
 * it until the reveal: without it the commitment cannot be opened.
 */
export function randomSalt(): Hex {
  return bytesToHex(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}
