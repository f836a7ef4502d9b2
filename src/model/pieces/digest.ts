import { type Hex, hexToBytes } from 'viem';
import { assertBytes32 } from '../../core/bytes32.ts';
import { digestBytes } from '../../core/digest.ts';

/** What opens a model digest: the pieces root R and the sha256 S of the checkpoint file. */
export type ModelOpening = { readonly root: Hex; readonly fileDigest: Hex };

const DOMAIN = new TextEncoder().encode('concord.model.v1');

/**
 * The model digest D = sha256(utf8("concord.model.v1") ‖ R ‖ S), what the
 * chain records for a model version. Throws InvalidBytes32Error when R or S
 * is not 32-byte hex.
 */
export function modelDigest(opening: ModelOpening): Hex {
  assertBytes32(opening.root, 'root');
  assertBytes32(opening.fileDigest, 'fileDigest');
  const bytes = new Uint8Array(DOMAIN.length + 64);
  bytes.set(DOMAIN);
  bytes.set(hexToBytes(opening.root), DOMAIN.length);
  bytes.set(hexToBytes(opening.fileDigest), DOMAIN.length + 32);
  return digestBytes(bytes);
}

/** Whether `opening` opens `digest` (case-insensitive hex). */
export function opensDigest(opening: ModelOpening, digest: Hex): boolean {
  return modelDigest(opening).toLowerCase() === digest.toLowerCase();
}
