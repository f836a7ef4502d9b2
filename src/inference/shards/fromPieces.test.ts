import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GptParams, makeGptConfig, Rng } from '../../model/index.ts';
import { encodePiece, PieceTree, pieceLayout, verifyPieceRange } from '../../model/pieces/index.ts';
import { gptExchanges } from '../exchange.ts';
import { shardRanges } from '../planner.ts';
import { exchangeLeafRange, shardFromPieces } from './fromPieces.ts';
import { cutExchangeShard, type ExchangeShardWeights } from './weights.ts';

const config = makeGptConfig({ vocabSize: 29, contextLength: 8, dModel: 12, nHeads: 3, nLayers: 2 });
const params = GptParams.zeros(config);
new Rng(9, 0).fillNormal(params.flat, 1); // every weight and bias distinct
const metadata = { tokenizer: 'char' };
const layout = pieceLayout(config);
const payloads = Array.from({ length: layout.leafCount }, (_, i) => encodePiece(params, metadata, i));

/** The shard's arrays as bytes, field by field. */
function shardBytes(w: ExchangeShardWeights): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(w)) {
    out[key] =
      value instanceof Float32Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
  }
  return out;
}

describe('shardFromPieces', () => {
  it('assembles every shard of every exchange bit-equal to cutExchangeShard (1, 3 and 4 shards per matrix)', () => {
    let checked = 0;
    for (const shardsPerMatrix of [1, 3, 4]) {
      for (const spec of gptExchanges(config)) {
        shardRanges(spec.rows, { shardsPerMatrix }).forEach((units, shard) => {
          const [start, end] = exchangeLeafRange(layout, spec, units);
          assert.equal(end - start, units[1] - units[0]);
          const fromPieces = shardFromPieces(config, spec, shard, units, payloads.slice(start, end));
          assert.deepEqual(shardBytes(fromPieces), shardBytes(cutExchangeShard(params, spec, shard, units)));
          checked++;
        });
      }
    }
    assert.equal(checked, 5 * 1 + 5 * 3 + (2 * 3 + 3 * 4)); // attn has only 3 heads: 3 shards at most
  });

  it('lays the shards of all exchanges out as disjoint ranges covering every leaf but the base', () => {
    const covered = new Array<number>(layout.leafCount).fill(0);
    for (const spec of gptExchanges(config)) {
      for (const units of shardRanges(spec.rows, { shardsPerMatrix: 4 })) {
        const [start, end] = exchangeLeafRange(layout, spec, units);
        for (let i = start; i < end; i++) covered[i]!++;
      }
    }
    assert.deepEqual(covered, [0, ...new Array<number>(layout.leafCount - 1).fill(1)]);
  });

  it("verifies a tree over a shard's leaves against its root, and fails for one flipped bit", () => {
    const spec = gptExchanges(config).find((s) => s.name === 'h.1.mlp')!;
    const units = shardRanges(spec.rows, { shardsPerMatrix: 3 })[1]!;
    const [start, end] = exchangeLeafRange(layout, spec, units);
    const tree = PieceTree.fromLeaves(payloads, layout.leafCount);
    const proof = tree.proveRange(start, end);
    const leaves = payloads.slice(start, end);
    assert.ok(verifyPieceRange(tree.root, proof, leaves));
    for (const [leaf, byte] of [
      [0, 0],
      [5, 17],
      [leaves.length - 1, leaves[0]!.length - 1],
    ] as const) {
      const flipped = leaves.map((p) => p.slice());
      flipped[leaf]![byte]! ^= 0x10;
      assert.equal(verifyPieceRange(tree.root, proof, flipped), false);
    }
  });

  it('rejects a spec or units outside the model, a wrong payload count and a payload of the wrong size', () => {
    const spec = gptExchanges(config)[0]!;
    const leaves = payloads.slice(1, 3);
    const invalid = { name: 'ExchangeShardInvalidError' };
    assert.throws(() => exchangeLeafRange(layout, spec, [2, 4]), invalid);
    assert.throws(() => exchangeLeafRange(layout, { ...spec, layer: 2 }, [0, 1]), invalid);
    assert.throws(() => exchangeLeafRange(layout, { ...spec, rows: 4 }, [0, 1]), invalid);
    assert.throws(() => exchangeLeafRange(layout, { ...spec, matrix: 'lm_head' }, [0, 1]), invalid);
    assert.throws(() => shardFromPieces(config, spec, 0, [0, 2], leaves.slice(1)), invalid);
    assert.throws(() => shardFromPieces(config, spec, 0, [0, 2], [leaves[0]!, leaves[1]!.subarray(4)]), {
      name: 'MalformedPieceError',
    });
  });

  it('reads payloads that are not 4-byte aligned', () => {
    const spec = gptExchanges(config).find((s) => s.name === 'wte.weight')!;
    const [start, end] = exchangeLeafRange(layout, spec, [3, 7]);
    const shifted = payloads.slice(start, end).map((p) => {
      const buf = new Uint8Array(p.length + 1);
      buf.set(p, 1);
      return buf.subarray(1);
    });
    const w = shardFromPieces(config, spec, 0, [3, 7], shifted);
    assert.deepEqual(shardBytes(w), shardBytes(cutExchangeShard(params, spec, 0, [3, 7])));
  });
});
