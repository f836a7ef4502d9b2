import type { Hex } from 'viem';
import { InvalidBytes32Error } from './digestErrors.ts';

/** True when `value` is `0x` followed by exactly 64 hex characters (either case). */
export function isBytes32(value: unknown): value is Hex {
  return typeof value === 'string' && /^0x[0-9a-fA-F]{64}$/.test(value);
}

/** Throws `InvalidBytes32Error` naming `field` unless `value` is a 32-byte hex string. */
export function assertBytes32(value: unknown, field: string): asserts value is Hex {
  if (!isBytes32(value)) throw new InvalidBytes32Error(field, value);
}
