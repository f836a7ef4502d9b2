import { InvalidPieceRangeError } from '../errors.ts';
import { GptParams } from '../params.ts';
import { baseTensorList, baseTensorsOf, decodeBasePiece, vocabPieceRow } from './encode.ts';

/**
 * What a gateway computes itself: parameters whose base tensors (wpe, the
 * layer norms, the biases of both output projections, ln_f) come from the
 * base leaf and, when `vocab` is given (every vocab leaf, in order), whose
 * wte comes from the vocab leaves; every other weight is zero. The zero
 * weights are never read by the gateway (its decoder asks the hosts for
 * every attn, mlp and lm_head product). Throws MalformedPieceError for a
 * malformed payload, InvalidPieceRangeError for a wrong count of vocab leaves.
 */
export function paramsFromPieces(base: Uint8Array, vocab: readonly Uint8Array[] | undefined): GptParams {
  const piece = decodeBasePiece(base);
  const { config } = piece;
  if (vocab !== undefined && vocab.length !== config.vocabSize) {
    throw new InvalidPieceRangeError(`${vocab.length} vocab leaves for a vocabulary of ${config.vocabSize}`);
  }
  const params = GptParams.zeros(config);
  const from = baseTensorList(piece);
  baseTensorList(baseTensorsOf(params)).forEach((to, i) => {
    to.set(from[i]!);
  });
  const C = config.dModel;
  vocab?.forEach((payload, v) => {
    params.weights.wte.set(vocabPieceRow(config, payload), v * C);
  });
  return params;
}
