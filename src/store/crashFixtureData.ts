import type { Hex } from 'viem';
import { tinyCheckpoint } from '../tasks/mlFixtures.ts';

/** A deterministic bytes32 for record `i`, field `k`, shared by the crash test and its child. */
export function crashHex(i: number, k: number): Hex {
  return `0x${k.toString(16).padStart(8, '0')}${i.toString(16).padStart(56, '0')}`;
}

/** The deterministic blob for record `i`: 20–280 KB, so kills often land mid-write. */
export function crashBlobBytes(i: number): Uint8Array {
  const size = 20_000 + ((i * 7919) % 260_000);
  const bytes = new Uint8Array(size);
  let x = (i + 1) * 2654435761;
  for (let j = 0; j < size; j++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[j] = x >>> 24;
  }
  return bytes;
}

/** The deterministic model checkpoint for record `i` (a tiny seeded model). */
export function crashModelBytes(i: number): Uint8Array {
  return tinyCheckpoint(i + 1);
}
