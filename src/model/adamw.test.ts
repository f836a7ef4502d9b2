import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdamW, globalNorm, weightDecayMask } from './adamw.ts';
import { makeGptConfig } from './config.ts';
import { gptParamSpecs } from './params.ts';

describe('AdamW', () => {
  it('first step moves each parameter by lr·sign(g) after decoupled decay (hand computation)', () => {
    const p = new Float32Array([1, -2, 0.5]);
    const g = new Float32Array([0.5, -3, 0]);
    const opt = new AdamW(3, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    opt.step(p, g);
    // m̂ = g, v̂ = g², so the Adam step is lr·g/(|g| + eps); decay first multiplies p by 1 - lr·wd = 0.999.
    assert.ok(Math.abs(p[0]! - (1 * 0.999 - 0.1)) < 1e-6, String(p[0]));
    assert.ok(Math.abs(p[1]! - (-2 * 0.999 + 0.1)) < 1e-6, String(p[1]));
    assert.ok(Math.abs(p[2]! - 0.5 * 0.999) < 1e-7, String(p[2]));
    assert.ok(Math.abs(opt.m[0]! - 0.05) < 1e-8);
    assert.ok(Math.abs(opt.v[1]! - 0.009) < 1e-8);
  });

  it('second step matches the bias-corrected formula', () => {
    const p = new Float32Array([0]);
    const opt = new AdamW(1, { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0 });
    opt.step(p, new Float32Array([1]));
    opt.step(p, new Float32Array([0.5]));
    const m = 0.9 * 0.1 + 0.1 * 0.5;
    const v = 0.99 * 0.01 + 0.01 * 0.25;
    const second = (0.01 * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.9801)) + 1e-8);
    assert.ok(Math.abs(p[0]! - (-0.01 - second)) < 1e-7, `${p[0]} vs ${-0.01 - second}`);
    assert.equal(opt.stepCount, 2);
  });

  it('clips the global gradient norm and reports it', () => {
    const p = new Float32Array(2);
    const opt = new AdamW(2, { lr: 0.1, weightDecay: 0, maxGradNorm: 1 });
    const { gradNorm } = opt.step(p, new Float32Array([3, 4]));
    assert.equal(gradNorm, 5);
    assert.ok(Math.abs(opt.m[0]! - 0.1 * (3 / 5)) < 1e-6);
    assert.equal(globalNorm(new Float32Array([3, 4])), 5);
  });

  it('decays matrices and embeddings only', () => {
    const specs = gptParamSpecs(
      makeGptConfig({ vocabSize: 5, contextLength: 4, dModel: 4, nHeads: 1, nLayers: 1 }),
    );
    const mask = weightDecayMask(specs);
    for (const s of specs) assert.equal(mask[s.offset], s.shape.length === 2 ? 1 : 0, s.name);
  });

  it('rejects bad options and non-finite gradients before changing anything', () => {
    for (const bad of [
      { lr: 0 },
      { lr: 1, beta1: 1 },
      { lr: 1, beta2: -0.1 },
      { lr: 1, eps: 0 },
      { lr: Number.NaN },
    ]) {
      assert.throws(() => new AdamW(1, bad), { name: 'InvalidOptimizerOptionsError' });
    }
    assert.throws(() => new AdamW(2, { lr: 1 }, new Uint8Array(3)), { name: 'InvalidOptimizerOptionsError' });
    const opt = new AdamW(2, { lr: 0.1 });
    const p = new Float32Array([1, 2]);
    assert.throws(() => opt.step(p, new Float32Array([1, Number.NaN])), { name: 'NonFiniteLossError' });
    assert.deepEqual(p, new Float32Array([1, 2]));
    assert.throws(() => opt.step(p, new Float32Array(3)), { name: 'InvalidOptimizerOptionsError' });
  });

  it('restoring saved state continues bit-identically to an uninterrupted run', () => {
    const grads = (step: number) =>
      Float32Array.from({ length: 5 }, (_, i) => Math.fround(Math.sin(step * 5 + i)));
    const options = { lr: 0.01, beta1: 0.8, beta2: 0.9, weightDecay: 0.1, maxGradNorm: 1 };
    const straight = new Float32Array([1, 2, 3, 4, 5]);
    const opt = new AdamW(5, options);
    for (let s = 0; s < 7; s++) opt.step(straight, grads(s));

    const resumed = new Float32Array([1, 2, 3, 4, 5]);
    const first = new AdamW(5, options);
    for (let s = 0; s < 3; s++) first.step(resumed, grads(s));
    const saved = { m: first.state.m.slice(), v: first.state.v.slice(), step: first.state.step };
    const second = new AdamW(5, options);
    second.restore(saved);
    for (let s = 3; s < 7; s++) second.step(resumed, grads(s));
    assert.deepEqual(resumed, straight);
    assert.equal(second.stepCount, 7);
  });

  it('rejects foreign optimizer state with InvalidOptimizerStateError', () => {
    const opt = new AdamW(2, { lr: 0.1 });
    const ok = new Float32Array(2);
    for (const bad of [
      { m: new Float32Array(3), v: ok, step: 1 },
      { m: ok, v: ok, step: -1 },
      { m: ok, v: ok, step: 1.5 },
      { m: new Float32Array([0, Number.NaN]), v: ok, step: 1 },
      { m: ok, v: new Float32Array([-1, 0]), step: 1 },
    ]) {
      assert.throws(() => opt.restore(bad), { name: 'InvalidOptimizerStateError' });
    }
  });
});
