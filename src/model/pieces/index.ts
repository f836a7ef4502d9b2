/**
 * A model version's verifiable pieces: leaves in an order fixed by the
 * config (layout.ts), their payloads (encode.ts), the Merkle tree and range
 * proofs over them (tree.ts), and the model digest that binds the tree's
 * root to the checkpoint file (digest.ts). See docs/inference.md.
 */
export { type ModelOpening, modelDigest, opensDigest } from './digest.ts';
export {
  type AttnPieceParts,
  attnPieceParts,
  type BaseBlock,
  type BasePiece,
  type BaseTensors,
  baseTensorList,
  baseTensorsOf,
  decodeBasePiece,
  encodePiece,
  type MlpPieceParts,
  mlpPieceParts,
  piecePayloads,
  vocabPieceRow,
} from './encode.ts';
export { paramsFromPieces } from './gatewayParams.ts';
export {
  attnLeaves,
  BASE_LEAF,
  baseFloats,
  type LeafLocation,
  leafFloats,
  locateLeaf,
  mlpLeaves,
  type PieceLayout,
  pieceBytes,
  pieceLayout,
  vocabLeaves,
} from './layout.ts';
export { PieceTree, pieceTreeOf, type RangeProof, verifyPieceRange } from './tree.ts';
