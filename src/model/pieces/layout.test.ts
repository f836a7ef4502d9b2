import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeGptConfig } from '../config.ts';
import { GptParams } from '../params.ts';
import { encodePiece } from './encode.ts';
import { attnLeaves, locateLeaf, mlpLeaves, pieceBytes, pieceLayout, vocabLeaves } from './layout.ts';

const config = makeGptConfig({ vocabSize: 7, contextLength: 3, dModel: 4, nHeads: 2, nLayers: 2 });
const layout = pieceLayout(config);

describe('pieceLayout', () => {
  it('orders the base, then per layer its heads and c_fc rows, then the vocabulary rows', () => {
    assert.equal(layout.leafCount, 1 + 2 * (2 + 16) + 7);
    assert.deepEqual(attnLeaves(layout, 0, 0, 2), [1, 3]);
    assert.deepEqual(mlpLeaves(layout, 0, 0, 16), [3, 19]);
    assert.deepEqual(attnLeaves(layout, 1, 1, 2), [20, 21]);
    assert.deepEqual(mlpLeaves(layout, 1, 4, 9), [25, 30]);
    assert.deepEqual(vocabLeaves(layout, 0, 7), [37, 44]);
    assert.deepEqual(locateLeaf(layout, 0), { kind: 'base' });
    assert.deepEqual(locateLeaf(layout, 20), { kind: 'attn', layer: 1, unit: 1 });
    assert.deepEqual(locateLeaf(layout, 25), { kind: 'mlp', layer: 1, unit: 4 });
    assert.deepEqual(locateLeaf(layout, 43), { kind: 'vocab', unit: 6 });
  });

  it('counts payload bytes as encodePiece writes them (the base without its JSON header)', () => {
    const params = GptParams.init(config, 1);
    const sizes = Array.from({ length: layout.leafCount }, (_, i) => encodePiece(params, {}, i).length);
    const header = sizes[0]! - pieceBytes(layout, 0, 1);
    assert.ok(header > 0);
    for (const [s, e] of [
      [0, layout.leafCount],
      [1, 3],
      [2, 30],
      [36, 44],
      [43, 44],
    ] as const) {
      const want = sizes.slice(s, e).reduce((a, b) => a + b, 0) - (s === 0 ? header : 0);
      assert.equal(pieceBytes(layout, s, e), want, `[${s}, ${e})`);
    }
  });

  it('throws InvalidPieceRangeError for ranges outside the model', () => {
    const name = { name: 'InvalidPieceRangeError' };
    assert.throws(() => attnLeaves(layout, 2, 0, 1), name);
    assert.throws(() => attnLeaves(layout, 0, 0, 3), name);
    assert.throws(() => mlpLeaves(layout, 0, 5, 5), name);
    assert.throws(() => mlpLeaves(layout, -1, 0, 1), name);
    assert.throws(() => vocabLeaves(layout, 0, 8), name);
    assert.throws(() => locateLeaf(layout, 44), name);
    assert.throws(() => locateLeaf(layout, 1.5), name);
    assert.throws(() => pieceBytes(layout, 3, 2), name);
  });
});
