import type { Address, Hex } from 'viem';

/** Test helper: the address whose hex is `index`, zero-padded (distinct indices give distinct addresses). */
export function addressOf(index: number): Address {
  return `0x${index.toString(16).padStart(40, '0')}`;
}

/** Test helper: the 32-byte digest whose hex is `index`, zero-padded. */
export function digestOf(index: number): Hex {
  return `0x${index.toString(16).padStart(64, '0')}`;
}
