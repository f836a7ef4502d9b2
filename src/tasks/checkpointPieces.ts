import { digestBytes } from '../core/digest.ts';
import { type ModelOpening, pieceTreeOf } from '../model/pieces/index.ts';
import { readCheckpoint } from './checkpoint.ts';

/**
 * The opening of a checkpoint file: its pieces root (weights and metadata as
 * readCheckpoint returns them, no optimizer state) and its sha256. Throws as
 * readCheckpoint does for a file that is no checkpoint.
 */
export function checkpointOpening(bytes: Uint8Array): ModelOpening {
  const { params, metadata } = readCheckpoint(bytes);
  return { root: pieceTreeOf(params, metadata).root, fileDigest: digestBytes(bytes) };
}
