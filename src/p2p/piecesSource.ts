import type { GptParams } from '../model/params.ts';
import {
  BASE_LEAF,
  encodePiece,
  type ModelOpening,
  type PieceTree,
  pieceBytes,
  pieceLayout,
  pieceTreeOf,
} from '../model/pieces/index.ts';
import type { PieceSource } from './piecesServer.ts';

/**
 * Serves the pieces of a loaded checkpoint (its parameters and metadata, with
 * the opening of its model digest): the tree is built on first use and kept;
 * payloads are encoded on demand, one leaf at a time.
 */
export function checkpointPieceSource(
  params: GptParams,
  metadata: Record<string, string>,
  opening: ModelOpening,
): PieceSource {
  const layout = pieceLayout(params.config);
  let tree: PieceTree | undefined;
  let baseBytes: number | undefined;
  return {
    opening,
    get tree() {
      tree ??= pieceTreeOf(params, metadata);
      return tree;
    },
    payload: (index) => encodePiece(params, metadata, index),
    rangeBytes(start, end) {
      if (start !== BASE_LEAF) return pieceBytes(layout, start, end);
      // pieceBytes leaves out the base leaf's JSON header, whose length depends on the metadata.
      const base = (baseBytes ??= encodePiece(params, metadata, BASE_LEAF).byteLength);
      return pieceBytes(layout, start, end) - pieceBytes(layout, BASE_LEAF, BASE_LEAF + 1) + base;
    },
  };
}
