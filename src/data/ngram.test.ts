import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { KneserNeyCharModel } from './ngram.ts';

function randomIds(n: number, vocab: number, seed: number): Int32Array {
  let s = seed >>> 0 || 1;
  return Int32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % vocab;
  });
}

describe('Kneser–Ney character n-gram model', () => {
  it('gives a probability distribution over the vocabulary in every context (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 1, max: 6 }),
        fc.nat(),
        fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
        (vocab, order, seed, context) => {
          const model = KneserNeyCharModel.train(randomIds(300, vocab, seed), vocab, order);
          const ids = Int32Array.from([...context.map((c) => c % vocab), 0]);
          let total = 0;
          for (let w = 0; w < vocab; w++) {
            ids[ids.length - 1] = w;
            const p = model.probability(ids, ids.length - 1);
            assert.ok(p > 0 && p < 1);
            total += p;
          }
          assert.ok(Math.abs(total - 1) < 1e-9, `sum ${total}`);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps every probability positive when the count-of-counts is degenerate', () => {
    // A structured sequence (this LCG mod 12 alternates parity) once drove a discount to 0.
    const model = KneserNeyCharModel.train(randomIds(300, 12, 15), 12, 2);
    const ids = new Int32Array(7);
    for (let w = 0; w < 12; w++) {
      ids[6] = w;
      assert.ok(model.probability(ids, 6) > 0, `p(${w} | 0) > 0`);
    }
  });

  it('predicts a repetitive text almost perfectly and beats lower orders on it', () => {
    const ids = Int32Array.from({ length: 3000 }, (_, i) => [1, 2, 3, 2, 1, 4, 4][i % 7]!);
    const six = KneserNeyCharModel.train(ids, 5, 6).bitsPerChar(ids).bpc;
    const one = KneserNeyCharModel.train(ids, 5, 1).bitsPerChar(ids).bpc;
    assert.ok(six < 0.05, `6-gram ${six}`);
    assert.ok(one > 1.5, `unigram ${one}`);
  });

  it('gives log2(V) bits per character for the order-1 model of a uniform text', () => {
    const ids = Int32Array.from({ length: 800 }, (_, i) => i % 8);
    const { bpc, chars } = KneserNeyCharModel.train(ids, 8, 1).bitsPerChar(ids);
    assert.equal(chars, 800);
    assert.ok(Math.abs(bpc - 3) < 1e-6, `${bpc}`);
  });

  it('rejects unsupported orders, vocabularies and ids with NgramModelError', () => {
    const ids = Int32Array.from([1, 2, 3]);
    for (const [v, o] of [
      [4, 0],
      [4, 8],
      [200, 3],
      [3, 2],
    ] as const) {
      assert.throws(() => KneserNeyCharModel.train(ids, v, o), { name: 'NgramModelError' });
    }
  });
});
