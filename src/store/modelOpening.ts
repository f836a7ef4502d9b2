import { isBytes32 } from '../core/bytes32.ts';
import type { ModelOpening } from '../model/pieces/digest.ts';

/**
 * An untrusted model opening (from an opening file or a peer's response
 * header): `{ root, fileDigest }` of bytes32s, or `undefined` for any other
 * value. Whether it opens a digest is for `modelDigest` to say.
 */
export function parseModelOpening(value: unknown): ModelOpening | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { root, fileDigest } = value as Record<string, unknown>;
  return isBytes32(root) && isBytes32(fileDigest) ? { root, fileDigest } : undefined;
}
