import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHAR_SMALL, GPT2_SMALL, makeGptConfig, sameConfig } from './config.ts';
import { countParams } from './params.ts';
import { CharTokenizer } from './tokenizers/char.ts';

describe('GptConfig', () => {
  it('fills GPT-2 defaults and validates', () => {
    const c = makeGptConfig({ vocabSize: 10, contextLength: 4, dModel: 8, nHeads: 2, nLayers: 1 });
    assert.equal(c.mlpRatio, 4);
    assert.equal(c.layerNormEps, 1e-5);
    assert.ok(sameConfig(c, { ...c }));
    assert.ok(!sameConfig(c, { ...c, nHeads: 4 }));
  });

  it('rejects bad fields with InvalidGptConfigError', () => {
    const base = { vocabSize: 10, contextLength: 4, dModel: 8, nHeads: 2, nLayers: 1 };
    for (const bad of [
      { vocabSize: 0 },
      { contextLength: 1.5 },
      { dModel: -8 },
      { nHeads: 3 },
      { nLayers: Number.NaN },
      { mlpRatio: 0 },
      { layerNormEps: 0 },
      { layerNormEps: Number.POSITIVE_INFINITY },
      { vocabSize: 1 << 21 },
    ]) {
      assert.throws(
        () => makeGptConfig({ ...base, ...bad }),
        { name: 'InvalidGptConfigError' },
        JSON.stringify(bad),
      );
    }
  });

  it('presets have the expected parameter counts', () => {
    // GPT-2 small without its tied lm_head: the well-known 124,439,808.
    assert.equal(countParams(GPT2_SMALL), 124_439_808);
    assert.equal(CHAR_SMALL.vocabSize, CharTokenizer.printableAscii().vocabSize);
    assert.ok(countParams(CHAR_SMALL) < 1_000_000);
  });
});
