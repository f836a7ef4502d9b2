import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { isKernelResident, wasmAvailable } from '../tensor/index.ts';
import { makeGptConfig } from './config.ts';
import { Gpt } from './gpt.ts';
import { allocBuffer, freeBuffer } from './memory.ts';
import { GptParams } from './params.ts';
import { Rng } from './rng.ts';
import { exportGpt, importGpt } from './safetensors.ts';
import { makeBatch, sampleBatch, Trainer } from './train.ts';

const config = makeGptConfig({ vocabSize: 40, contextLength: 24, dModel: 64, nHeads: 4, nLayers: 2 });
const digest = (a: Float32Array) =>
  createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');

describe('placement (JS heap vs kernel memory)', () => {
  it('allocBuffer places buffers in kernel memory when asked and WASM is available', () => {
    const k = allocBuffer(100, 'kernel');
    const j = allocBuffer(100, 'js');
    assert.equal(isKernelResident(k), wasmAvailable);
    assert.equal(isKernelResident(j), false);
    assert.ok(k.every((v) => v === 0));
    freeBuffer(k);
    freeBuffer(j);
  });

  it('training and decoding give the same bytes in either placement', () => {
    const run = (placement: 'js' | 'kernel') => {
      const params = GptParams.init(config, 3, placement);
      const trainer = new Trainer(params, { lr: 1e-3 }, placement);
      const data = Int32Array.from({ length: 500 }, (_, i) => (i * 7) % 40);
      const rng = new Rng(4);
      const batch = makeBatch(2, 24);
      for (let s = 0; s < 3; s++) trainer.step(sampleBatch(data, rng, batch));
      const model = new Gpt(params, { placement });
      const gen = model.generator();
      const logits: string[] = [];
      for (let t = 0; t < 24; t++) logits.push(digest(gen.step(t % 40)));
      const exported = createHash('sha256').update(exportGpt(params)).digest('hex');
      const result = { params: digest(params.flat), logits, exported };
      gen.dispose();
      model.dispose();
      trainer.dispose();
      params.dispose();
      return result;
    };
    assert.deepEqual(run('kernel'), run('js'));
  });

  it('importGpt can place parameters in kernel memory', () => {
    const bytes = exportGpt(GptParams.init(config, 1));
    const { params } = importGpt(bytes, { placement: 'kernel' });
    assert.equal(isKernelResident(params.flat), wasmAvailable);
    assert.deepEqual(params.flat, importGpt(bytes).params.flat);
    params.dispose();
  });
});
