import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeGptConfig } from '../config.ts';
import { GptParams } from '../params.ts';
import { Rng } from '../rng.ts';
import { encodePiece } from './encode.ts';
import { paramsFromPieces } from './gatewayParams.ts';
import { BASE_LEAF, pieceLayout, vocabLeaves } from './layout.ts';

const config = makeGptConfig({ vocabSize: 9, contextLength: 5, dModel: 6, nHeads: 2, nLayers: 2 });
const params = GptParams.zeros(config);
new Rng(8, 0).fillNormal(params.flat, 1);
const layout = pieceLayout(config);
const base = encodePiece(params, {}, BASE_LEAF);
const [v0, v1] = vocabLeaves(layout, 0, config.vocabSize);
const vocab = Array.from({ length: v1 - v0 }, (_, i) => encodePiece(params, {}, v0 + i));

/** Names of the parameters a gateway computes itself (wte only when given). */
const isBase = (name: string) =>
  /^(wpe\.weight|h\.\d+\.(ln_1|ln_2)\.(weight|bias)|h\.\d+\.(attn|mlp)\.c_proj\.bias|ln_f\.(weight|bias))$/.test(
    name,
  );

describe('paramsFromPieces', () => {
  it('fills the base tensors and wte from the pieces and leaves every other weight zero', () => {
    for (const withVocab of [true, false]) {
      const got = paramsFromPieces(base, withVocab ? vocab : undefined);
      assert.deepEqual(got.config, config);
      for (const spec of got.specs) {
        const view = got.view(spec.name);
        const filled = isBase(spec.name) || (withVocab && spec.name === 'wte.weight');
        if (filled) assert.deepEqual(view, params.view(spec.name), spec.name);
        else
          assert.ok(
            view.every((x) => x === 0),
            spec.name,
          );
      }
    }
  });

  it('throws InvalidPieceRangeError for a wrong count of vocab leaves and MalformedPieceError for a bad payload', () => {
    assert.throws(() => paramsFromPieces(base, vocab.slice(1)), { name: 'InvalidPieceRangeError' });
    assert.throws(() => paramsFromPieces(base, [...vocab.slice(1), base]), { name: 'MalformedPieceError' });
    assert.throws(() => paramsFromPieces(base.subarray(0, 20), undefined), { name: 'MalformedPieceError' });
  });
});
