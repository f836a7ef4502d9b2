import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GptParams, makeGptConfig, mlpDim, Rng } from '../model/index.ts';
import { BASE_LEAF, encodePiece, paramsFromPieces, pieceLayout, vocabLeaves } from '../model/pieces/index.ts';
import { Decoder } from './decoder.ts';
import { gptExchanges } from './exchange.ts';
import { localExchangeBackend } from './localExchangeBackend.ts';
import { shardRanges } from './planner.ts';
import { exchangeLeafRange, shardFromPieces } from './shards/fromPieces.ts';
import type { ExchangeShardWeights } from './shards/weights.ts';

const config = makeGptConfig({ vocabSize: 23, contextLength: 6, dModel: 8, nHeads: 2, nLayers: 2 });
const layout = pieceLayout(config);
const metadata = { tokenizer: 'char' };

/** A model whose every weight and bias is random N(0, std²). */
function randomParams(seed: number, std: number): GptParams {
  const params = GptParams.zeros(config);
  new Rng(seed, 0).fillNormal(params.flat, std);
  return params;
}

/** Every leaf's payload, in order. */
function piecesOf(params: GptParams): Uint8Array[] {
  return Array.from({ length: layout.leafCount }, (_, i) => encodePiece(params, metadata, i));
}

/** What the gateway builds: the base and, when `withVocab`, wte from the pieces. */
function gatewayParams(pieces: readonly Uint8Array[], withVocab: boolean): GptParams {
  const [v0, v1] = vocabLeaves(layout, 0, config.vocabSize);
  return paramsFromPieces(pieces[BASE_LEAF]!, withVocab ? pieces.slice(v0, v1) : undefined);
}

/** Writes a shard's weights back where cutExchangeShard took them from (the inverse of the cut). */
function placeShard(target: GptParams, w: ExchangeShardWeights): void {
  const C = config.dModel;
  if (w.kind === 'lm_head') {
    target.weights.wte.set(w.weight, w.rowStart * C);
    return;
  }
  const block = target.weights.blocks[w.layer]!;
  if (w.kind === 'mlp') {
    const n = w.rowEnd - w.rowStart;
    block.fc.weight.set(w.fc, w.rowStart * C);
    block.fc.bias.set(w.fcBias, w.rowStart);
    for (let r = 0; r < C; r++) {
      for (let i = 0; i < n; i++)
        block.mlpProj.weight[r * mlpDim(config) + w.rowStart + i] = w.proj[r * n + i]!;
    }
    return;
  }
  const [from, width] = [w.headStart * w.headDim, (w.headEnd - w.headStart) * w.headDim];
  for (let part = 0; part < 3; part++) {
    block.qkv.weight.set(w.qkv.subarray(part * width * C, (part + 1) * width * C), (part * C + from) * C);
    block.qkv.bias.set(w.qkvBias.subarray(part * width, (part + 1) * width), part * C + from);
  }
  for (let r = 0; r < C; r++)
    block.attnProj.weight.set(w.proj.subarray(r * width, (r + 1) * width), r * C + from);
}

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('pieces round trip', () => {
  it('decodes every leaf back into the params it came from (the base, then every shard placed back)', () => {
    for (const [seed, shardsPerMatrix] of [
      [1, 1],
      [2, 3],
    ] as const) {
      const params = randomParams(seed, 1);
      const pieces = piecesOf(params);
      const rebuilt = gatewayParams(pieces, false);
      for (const spec of gptExchanges(config)) {
        shardRanges(spec.rows, { shardsPerMatrix }).forEach((units, shard) => {
          const [start, end] = exchangeLeafRange(layout, spec, units);
          placeShard(rebuilt, shardFromPieces(config, spec, shard, units, pieces.slice(start, end)));
        });
      }
      assert.ok(bytesOf(rebuilt.flat).equals(bytesOf(params.flat)), `seed ${seed}`);
    }
  });

  it('a gateway on paramsFromPieces decodes bit-identically to one holding the whole model', async () => {
    const params = randomParams(3, 0.3);
    const pieces = piecesOf(params);
    const sharding = { shardsPerMatrix: 2 };
    const whole = new Decoder(params, localExchangeBackend(params, sharding));
    const fromPieces = new Decoder(gatewayParams(pieces, true), localExchangeBackend(params, sharding));
    const steps: number[][] = [[3, 1, 4, 1], [5], [9], [2], [6], [5, 3]]; // the last steps slide the window
    for (const tokens of steps) {
      const [a, b] = [await whole.forward(tokens, 1), await fromPieces.forward(tokens, 1)];
      assert.ok(a.every(Number.isFinite));
      assert.ok(bytesOf(a).equals(bytesOf(b)), `after ${tokens}`);
    }
  });
});
