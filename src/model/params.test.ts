import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeGptConfig } from './config.ts';
import { countParams, GptParams, gptParamSpecs, INIT_STD } from './params.ts';

const config = makeGptConfig({ vocabSize: 50, contextLength: 16, dModel: 32, nHeads: 4, nLayers: 3 });

describe('GptParams', () => {
  it('lays out Hugging Face GPT-2 names contiguously, matrices (out, in)', () => {
    const specs = gptParamSpecs(config);
    assert.equal(specs[0]!.name, 'wte.weight');
    assert.equal(specs[1]!.name, 'wpe.weight');
    assert.equal(specs[specs.length - 1]!.name, 'ln_f.bias');
    const byName = new Map(specs.map((s) => [s.name, s]));
    assert.deepEqual(byName.get('h.2.attn.c_attn.weight')!.shape, [96, 32]);
    assert.deepEqual(byName.get('h.2.mlp.c_fc.weight')!.shape, [128, 32]);
    assert.deepEqual(byName.get('h.2.mlp.c_proj.weight')!.shape, [32, 128]);
    assert.equal(byName.get('h.0.mlp.c_proj.weight')!.hfTransposed, true);
    assert.equal(byName.get('wte.weight')!.hfTransposed, false);
    let offset = 0;
    for (const s of specs) {
      assert.equal(s.offset, offset);
      offset += s.size;
    }
    assert.equal(offset, countParams(config));
    assert.equal(specs.length, 2 + 12 * 3 + 2);
  });

  it('init is deterministic and follows GPT-2 (N(0, 0.02), scaled residual projections, LN 1/0)', () => {
    const a = GptParams.init(config, 123);
    const b = GptParams.init(config, 123);
    assert.deepEqual(a.flat, b.flat);
    assert.notDeepEqual(GptParams.init(config, 124).flat, a.flat);
    const std = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    assert.ok(Math.abs(std(a.view('wte.weight')) - INIT_STD) < 0.002);
    const projStd = INIT_STD / Math.sqrt(2 * config.nLayers);
    assert.ok(Math.abs(std(a.view('h.1.mlp.c_proj.weight')) - projStd) < 0.1 * projStd);
    assert.ok(a.view('h.0.ln_1.weight').every((v) => v === 1));
    assert.ok(a.view('h.0.attn.c_attn.bias').every((v) => v === 0));
  });

  it('views share the flat buffer; clone copies it; errors are named', () => {
    const p = GptParams.init(config, 1);
    p.weights.blocks[1]!.fc.weight[3] = 42;
    assert.equal(p.view('h.1.mlp.c_fc.weight')[3], 42);
    const c = p.clone();
    c.flat[0] = 7;
    assert.notEqual(p.flat[0], 7);
    assert.equal(Object.keys(p.toTensors()).length, p.specs.length);
    assert.throws(() => p.view('lm_head.weight'), { name: 'UnknownParameterError' });
    assert.throws(() => new GptParams(config, new Float32Array(3)), { name: 'ParamBufferSizeError' });
  });
});
