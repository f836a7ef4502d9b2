import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from './rng.ts';
import { argmax, sampleToken, sampleWeights, tokenDistribution } from './sample.ts';

describe('sampleToken', () => {
  const logits = new Float32Array([1, 3, 2, 3, -1]);

  it('temperature 0 is argmax with the lowest index winning ties', () => {
    assert.equal(argmax(logits), 1);
    assert.equal(sampleToken(logits, new Rng(1), { temperature: 0 }), 1);
  });

  it('is deterministic for a seed and follows the softmax distribution', () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 4000 }, () => sampleToken(logits, rng));
    };
    const a = draw(3);
    assert.deepEqual(draw(3), a);
    const z = [1, 3, 2, 3, -1].reduce((s, v) => s + Math.exp(v), 0);
    const counts = new Array(5).fill(0);
    for (const t of a) counts[t]++;
    counts.forEach((c, i) => {
      const want = Math.exp([1, 3, 2, 3, -1][i]!) / z;
      assert.ok(Math.abs(c / 4000 - want) < 0.03, `token ${i}: ${c / 4000} vs ${want}`);
    });
  });

  it('top-k and top-p keep only the most likely tokens', () => {
    const rng = new Rng(4);
    for (let i = 0; i < 300; i++) {
      assert.ok([1, 3].includes(sampleToken(logits, rng, { topK: 2 })));
      // p(1) = p(3) ≈ 0.39 each, so top-p 0.5 keeps tokens 1 and 3.
      assert.ok([1, 3].includes(sampleToken(logits, rng, { topP: 0.5 })));
      assert.equal(sampleToken(logits, rng, { topK: 1, temperature: 5 }), 1);
    }
  });

  it('rejects bad options and non-finite logits with named errors', () => {
    const rng = new Rng(1);
    assert.throws(() => sampleToken(logits, rng, { temperature: -1 }), {
      name: 'InvalidSamplingOptionsError',
    });
    assert.throws(() => sampleToken(logits, rng, { topK: 1.5 }), { name: 'InvalidSamplingOptionsError' });
    assert.throws(() => sampleToken(logits, rng, { topP: 0 }), { name: 'InvalidSamplingOptionsError' });
    assert.throws(() => sampleToken(new Float32Array(0), rng), { name: 'InvalidSamplingOptionsError' });
    assert.throws(
      () => sampleToken(new Float32Array([0, Number.NaN]), rng),
      (e: Error) => e.name.includes('NonFinite'),
    );
  });
});

describe('tokenDistribution and sampleWeights', () => {
  const logits = new Float32Array([1, 3, 2, 3, -1, 0.5]);

  it('is the distribution sampleToken draws from: its support is the kept set and it sums to 1', () => {
    for (const options of [{}, { temperature: 0.6 }, { topK: 3 }, { topP: 0.7, temperature: 1.4 }]) {
      const p = tokenDistribution(logits, options);
      assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 1) < 1e-12);
      const rng = new Rng(8);
      const counts = new Array(logits.length).fill(0);
      const n = 6000;
      for (let i = 0; i < n; i++) counts[sampleToken(logits, rng, options)]++;
      counts.forEach((c, i) => {
        if (p[i] === 0) assert.equal(c, 0, `token ${i} is outside the kept set`);
        else assert.ok(Math.abs(c / n - (p[i] as number)) < 0.03, `token ${i}: ${c / n} vs ${p[i]}`);
      });
    }
    assert.deepEqual(
      Array.from(tokenDistribution(logits, { topK: 2 })).map((v) => v > 0),
      [false, true, false, true, false, false],
    );
    assert.deepEqual(Array.from(tokenDistribution(logits, { temperature: 0 })), [0, 1, 0, 0, 0, 0]);
  });

  it('sampleWeights draws in proportion to the weights and never picks a zero weight', () => {
    const weights = [0.5, 0, 1.5, 2, 0];
    const rng = new Rng(2);
    const counts = new Array(weights.length).fill(0);
    for (let i = 0; i < 8000; i++) counts[sampleWeights(weights, rng)]++;
    assert.equal(counts[1], 0);
    assert.equal(counts[4], 0);
    weights.forEach((w, i) => {
      assert.ok(Math.abs(counts[i] / 8000 - w / 4) < 0.02, `index ${i}`);
    });
  });
});
