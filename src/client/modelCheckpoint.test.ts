import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { encodeSafetensors } from '../core/safetensors.ts';
import { Gpt2Tokenizer } from '../model/index.ts';
import { SHIPPED_CHECKPOINT } from '../model/shipped.ts';
import { hfGpt2File, hfGpt2FileWithNaN, hfGpt2Tensors } from '../model/testing/hfGpt2File.ts';
import { readCheckpoint } from '../tasks/checkpoint.ts';
import { TOKENIZER_METADATA_KEY } from '../tasks/tokenizerMetadata.ts';
import { prepareCheckpoint } from './modelCheckpoint.ts';

const shape = { vocab: 50257, d: 64, context: 16, layers: 2 };

describe('prepareCheckpoint', () => {
  it('keeps a Concord checkpoint byte for byte, with its own tokenizer', () => {
    const bytes = readFileSync(SHIPPED_CHECKPOINT);
    const prepared = prepareCheckpoint(bytes);
    assert.equal(prepared.source, 'concord');
    assert.equal(prepared.bytes, bytes);
    assert.equal(prepared.tokenizer.vocabSize, prepared.config.vocabSize);
  });

  it('converts Hugging Face GPT-2 weights (Conv1D transposed) to a checkpoint naming GPT-2 BPE', () => {
    const prepared = prepareCheckpoint(hfGpt2File(shape));
    assert.equal(prepared.source, 'gpt2');
    assert.ok(prepared.tokenizer instanceof Gpt2Tokenizer);
    assert.deepEqual(
      { ...prepared.config },
      { ...prepared.config, vocabSize: 50257, dModel: 64, nHeads: 1, nLayers: 2, contextLength: 16 },
    );
    const { params, metadata } = readCheckpoint(prepared.bytes);
    assert.equal(metadata[TOKENIZER_METADATA_KEY], '{"type":"gpt2"}');
    // c_attn is stored (in, out) = (64, 192) by Hugging Face and (out, in) by Concord.
    const hf = hfGpt2Tensors(shape)['h.1.attn.c_attn.weight']?.data as Float32Array;
    const ours = params.view('h.1.attn.c_attn.weight');
    for (const [i, j] of [
      [0, 0],
      [3, 100],
      [63, 191],
    ] as const)
      assert.equal(ours[j * 64 + i], hf[i * 192 + j]);
    // Converting the converted checkpoint again changes nothing.
    assert.deepEqual(prepareCheckpoint(prepared.bytes).bytes, prepared.bytes);
  });

  it('names what is wrong with a file that is no usable checkpoint', () => {
    const wrongShape = hfGpt2File(shape, (t) => {
      t['h.1.attn.c_proj.weight'] = { dtype: 'f32', shape: [64, 128], data: new Float32Array(64 * 128) };
    });
    const other = encodeSafetensors({ x: { dtype: 'f32', shape: [2], data: new Float32Array(2) } });
    const cases: [Uint8Array, string][] = [
      [new TextEncoder().encode('plain text, not a model'), 'SafetensorsHeaderTooLargeError'],
      [wrongShape, 'TensorShapeMismatchError'],
      [hfGpt2FileWithNaN(shape), 'SafetensorsNonFiniteError'],
      [other, 'NotAGptCheckpointError'],
    ];
    for (const [bytes, name] of cases) assert.throws(() => prepareCheckpoint(bytes), { name });
  });
});
