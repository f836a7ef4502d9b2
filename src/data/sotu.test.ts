import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCharCorpus } from './corpus.ts';
import {
  compareSpeeches,
  HELD_OUT_EVERY,
  joinSpeeches,
  loadSpeeches,
  SPEECH_SEPARATOR,
  splitSpeeches,
} from './sotu.ts';

describe('State of the Union corpus', () => {
  const speeches = loadSpeeches();

  it('loads all 233 addresses from the package, in year then president order', () => {
    assert.equal(speeches.length, 233);
    assert.deepEqual(speeches[0] && [speeches[0].year, speeches[0].president], [1790, 'George Washington']);
    for (let i = 1; i < speeches.length; i++) {
      assert.ok(compareSpeeches(speeches[i - 1]!, speeches[i]!) < 0, `order at ${i}`);
    }
    for (const s of speeches) assert.ok(!s.text.includes(SPEECH_SEPARATOR) && s.text.length > 1000);
  });

  it('holds out exactly the speeches at index % 10 === 9, and nothing else', () => {
    const { train, heldOut } = splitSpeeches(speeches);
    assert.equal(heldOut.length, Math.floor(speeches.length / HELD_OUT_EVERY));
    assert.equal(train.length + heldOut.length, speeches.length);
    heldOut.forEach((s, j) => {
      assert.equal(s, speeches[j * HELD_OUT_EVERY + HELD_OUT_EVERY - 1]);
    });
    const held = new Set(heldOut);
    assert.ok(train.every((s) => !held.has(s)));
    assert.equal(joinSpeeches(heldOut).split(SPEECH_SEPARATOR).length, heldOut.length + 1);
  });

  it('builds the vocabulary from the training split and encodes both splits with it', () => {
    const corpus = loadCharCorpus();
    const chars = new Set(corpus.trainText);
    assert.equal(corpus.tokenizer.vocabSize, chars.size + 1);
    assert.equal(corpus.trainIds.length, [...corpus.trainText].length);
    assert.ok(
      corpus.trainIds.every((id) => id > 0),
      'no unknown id in the training split',
    );
    assert.equal(
      corpus.tokenizer.decode(Array.from(corpus.heldOutIds.subarray(0, 200))),
      [...corpus.heldOutText].slice(0, 200).join(''),
    );
  });
});
