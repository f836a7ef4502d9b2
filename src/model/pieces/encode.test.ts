import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeGptConfig } from '../config.ts';
import { GptParams } from '../params.ts';
import { Rng } from '../rng.ts';
import { attnPieceParts, decodeBasePiece, encodePiece, mlpPieceParts, vocabPieceRow } from './encode.ts';
import { attnLeaves, BASE_LEAF, mlpLeaves, pieceLayout, vocabLeaves } from './layout.ts';

const config = makeGptConfig({ vocabSize: 9, contextLength: 5, dModel: 6, nHeads: 2, nLayers: 2 });
const params = GptParams.zeros(config);
new Rng(4, 0).fillNormal(params.flat, 1);
const metadata = { tokenizer: 'char', format: 'pt' };
const layout = pieceLayout(config);
const base = encodePiece(params, metadata, BASE_LEAF);
const malformed = { name: 'MalformedPieceError' };

/** A base payload with `header` (a string) in place of the encoded one. */
function withHeader(header: string): Uint8Array {
  const oldLength = new DataView(base.buffer).getUint32(0, true);
  const bytes = new TextEncoder().encode(header);
  const out = new Uint8Array(4 + bytes.length + base.length - 4 - oldLength);
  new DataView(out.buffer).setUint32(0, bytes.length, true);
  out.set(bytes, 4);
  out.set(base.subarray(4 + oldLength), 4 + bytes.length);
  return out;
}

describe('encodePiece', () => {
  it('writes a length-prefixed canonical header, then the base tensors in order', () => {
    const length = new DataView(base.buffer).getUint32(0, true);
    const header = new TextDecoder().decode(base.subarray(4, 4 + length));
    assert.equal(
      header,
      '{"config":{"contextLength":5,"dModel":6,"layerNormEps":0.00001,"mlpRatio":4,"nHeads":2,"nLayers":2,"vocabSize":9},' +
        '"metadata":{"format":"pt","tokenizer":"char"}}',
    );
    const decoded = decodeBasePiece(base);
    assert.deepEqual(decoded.config, config);
    assert.deepEqual(decoded.metadata, metadata);
    const w = params.weights;
    assert.deepEqual(decoded.wpe, w.wpe);
    for (let l = 0; l < 2; l++) {
      const [got, want] = [decoded.blocks[l]!, w.blocks[l]!];
      assert.deepEqual(
        [got.ln1, got.attnProjBias, got.ln2, got.mlpProjBias],
        [want.ln1, want.attnProj.bias, want.ln2, want.mlpProj.bias],
      );
    }
    assert.deepEqual(decoded.lnF, w.lnF);
  });

  it('writes a head’s q, k, v rows and biases and c_proj columns; a c_fc row, bias and c_proj column; a wte row', () => {
    const [C, hd, F] = [6, 3, 24];
    const block = params.weights.blocks[1]!;
    const attn = attnPieceParts(config, encodePiece(params, metadata, attnLeaves(layout, 1, 1, 2)[0]));
    [attn.q, attn.k, attn.v].forEach((rows, part) => {
      const from = (part * C + hd) * C;
      assert.deepEqual(rows, block.qkv.weight.subarray(from, from + hd * C));
    });
    [attn.qBias, attn.kBias, attn.vBias].forEach((bias, part) => {
      assert.deepEqual(bias, block.qkv.bias.subarray(part * C + hd, part * C + 2 * hd));
    });
    for (let r = 0; r < C; r++) {
      assert.deepEqual(
        attn.proj.subarray(r * hd, (r + 1) * hd),
        block.attnProj.weight.subarray(r * C + hd, r * C + 2 * hd),
      );
    }
    const mlp = mlpPieceParts(config, encodePiece(params, metadata, mlpLeaves(layout, 1, 7, 8)[0]));
    assert.deepEqual(mlp.fc, block.fc.weight.subarray(7 * C, 8 * C));
    assert.equal(mlp.fcBias, block.fc.bias[7]);
    assert.deepEqual(
      Array.from(mlp.proj),
      Array.from({ length: C }, (_, r) => block.mlpProj.weight[r * F + 7]),
    );
    const row = vocabPieceRow(config, encodePiece(params, metadata, vocabLeaves(layout, 8, 9)[0]));
    assert.deepEqual(row, params.weights.wte.subarray(8 * C, 9 * C));
  });

  it('throws InvalidPieceRangeError for a leaf outside the model', () => {
    assert.throws(() => encodePiece(params, metadata, layout.leafCount), { name: 'InvalidPieceRangeError' });
  });
});

describe('decodeBasePiece', () => {
  it('throws MalformedPieceError for a truncated or padded payload', () => {
    for (const bad of [
      new Uint8Array(0),
      base.subarray(0, 3),
      base.subarray(0, 40),
      base.subarray(0, base.length - 4),
    ]) {
      assert.throws(() => decodeBasePiece(bad), malformed);
    }
    const padded = new Uint8Array(base.length + 4);
    padded.set(base);
    assert.throws(() => decodeBasePiece(padded), malformed);
    const huge = base.slice();
    new DataView(huge.buffer).setUint32(0, 0xffffffff, true);
    assert.throws(() => decodeBasePiece(huge), malformed);
  });

  it('throws MalformedPieceError for a header that is not the canonical JSON of a config and string metadata', () => {
    const cfg = (extra: Record<string, unknown> = {}) => ({
      contextLength: 5,
      dModel: 6,
      layerNormEps: 0.00001,
      mlpRatio: 4,
      nHeads: 2,
      nLayers: 2,
      vocabSize: 9,
      ...extra,
    });
    const headers = [
      '\xff\xfe',
      'not json',
      '[]',
      'null',
      JSON.stringify({ metadata: {} }),
      JSON.stringify({ config: cfg({ nHeads: 4 }), metadata: {} }),
      JSON.stringify({ config: cfg({ dModel: 'x' }), metadata: {} }),
      JSON.stringify({ config: cfg(), metadata: { a: 1 } }),
      JSON.stringify({ config: cfg(), metadata: [] }),
      JSON.stringify({ config: cfg({ extra: 1 }), metadata: {} }),
      JSON.stringify({ config: cfg(), metadata: { format: 'pt', tokenizer: 'char' }, more: 1 }),
      JSON.stringify({ metadata: { format: 'pt', tokenizer: 'char' }, config: cfg() }),
      ` ${JSON.stringify({ config: cfg(), metadata: { format: 'pt', tokenizer: 'char' } })}`,
    ];
    for (const header of headers) assert.throws(() => decodeBasePiece(withHeader(header)), malformed, header);
    const canonical = JSON.stringify({ config: cfg(), metadata: { format: 'pt', tokenizer: 'char' } });
    assert.deepEqual(decodeBasePiece(withHeader(canonical)).metadata, metadata);
  });

  it('throws MalformedPieceError for leaves of the wrong size', () => {
    const attn = encodePiece(params, metadata, 1);
    assert.throws(() => attnPieceParts(config, attn.subarray(4)), malformed);
    assert.throws(() => mlpPieceParts(config, attn), malformed);
    assert.throws(() => vocabPieceRow(config, new Uint8Array(23)), malformed);
  });
});
