import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeGptConfig } from '../model/config.ts';
import { Gpt } from '../model/gpt.ts';
import { GptParams } from '../model/params.ts';
import { bitsPerChar, evaluationWindows } from './evaluate.ts';

describe('held-out evaluation', () => {
  it('places windows every half window so their scored halves tile the text', () => {
    const starts = evaluationWindows(100, 8, 0);
    assert.deepEqual(starts.slice(0, 3), [0, 4, 8]);
    const last = starts[starts.length - 1]!;
    assert.ok(last + 8 + 1 <= 100 && last + 4 + 8 + 1 > 100);
    assert.deepEqual(evaluationWindows(100, 8, 3), [0, 28, 60]);
    assert.throws(() => evaluationWindows(5, 8, 0), { name: 'CorpusShardError' });
    assert.throws(() => evaluationWindows(100, 7, 0), { name: 'CorpusShardError' });
  });

  it('scores a model with zero weights at exactly log2(V) bits per character', () => {
    const config = makeGptConfig({ vocabSize: 16, contextLength: 8, dModel: 8, nHeads: 2, nLayers: 1 });
    const ids = Int32Array.from({ length: 60 }, (_, i) => (i * 7) % 16);
    const starts = evaluationWindows(ids.length, 8, 0);
    const { bpc, chars } = bitsPerChar(new Gpt(new GptParams(config)), ids, 8, starts, 3);
    assert.equal(chars, starts.length * 4);
    assert.ok(Math.abs(bpc - 4) < 1e-5, `${bpc}`);
  });

  it('agrees with the mean loss of the model on the scored positions', () => {
    const config = makeGptConfig({ vocabSize: 16, contextLength: 8, dModel: 8, nHeads: 2, nLayers: 1 });
    const model = new Gpt(GptParams.init(config, 3));
    const ids = Int32Array.from({ length: 9 }, (_, i) => (i * 5) % 16);
    const { bpc } = bitsPerChar(model, ids, 8, [0]);
    // Full-window loss minus the first half: mean over positions 4..7.
    const all = model.loss(ids.subarray(0, 8), ids.subarray(1, 9)) * 8;
    const firstHalf = model.loss(ids.subarray(0, 4), ids.subarray(1, 5)) * 4;
    const expected = (all - firstHalf) / 4 / Math.LN2;
    assert.ok(Math.abs(bpc - expected) < 1e-5, `${bpc} vs ${expected}`);
  });
});
