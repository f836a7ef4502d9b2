import type { Address } from 'viem';

/** Orders strings by UTF-16 code units, the same on every engine (no locale). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders addresses by their lower-case hex, so checksummed and plain spellings sort alike. */
export function compareAddresses(a: Address, b: Address): number {
  return compareText(a.toLowerCase(), b.toLowerCase());
}

/** Orders bigints from largest to smallest. */
export function compareBigIntDescending(a: bigint, b: bigint): number {
  return a > b ? -1 : a < b ? 1 : 0;
}
