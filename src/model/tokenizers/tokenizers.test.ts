import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CharTokenizer, UNKNOWN_CHAR, UNKNOWN_CHAR_ID } from './char.ts';
import { GPT2_END_OF_TEXT, Gpt2Tokenizer } from './gpt2.ts';
import { TokenTextStream } from './stream.ts';

describe('CharTokenizer', () => {
  const ascii = CharTokenizer.printableAscii();

  it('round-trips any printable ASCII text', () => {
    assert.equal(ascii.vocabSize, 97);
    fc.assert(
      fc.property(fc.stringMatching(/^[\x20-\x7e\n]*$/), (text) => {
        const ids = ascii.encode(text);
        assert.ok(ids.every((id) => id > 0 && id < ascii.vocabSize));
        assert.equal(ascii.decode(ids), text);
      }),
    );
  });

  it('maps unknown characters to the unknown id and back to U+FFFD', () => {
    const ids = ascii.encode('a\té😀');
    assert.deepEqual(ids.slice(1), [UNKNOWN_CHAR_ID, UNKNOWN_CHAR_ID, UNKNOWN_CHAR_ID]);
    assert.equal(ascii.decode(ids), `a${UNKNOWN_CHAR.repeat(3)}`);
  });

  it('builds a sorted vocabulary from a corpus and serializes it', () => {
    const t = CharTokenizer.fromCorpus('hello, wörld 😀');
    assert.equal(t.vocabSize, 12); // 11 distinct characters + unknown
    assert.equal(t.decode(t.encode('hello wörld 😀')), 'hello wörld 😀');
    const again = CharTokenizer.fromJSON(JSON.parse(JSON.stringify(t)));
    assert.deepEqual(again.encode('wörld!'), t.encode('wörld!'));
  });

  it('rejects bad vocabularies and out-of-range ids with named errors', () => {
    assert.throws(() => new CharTokenizer([]), { name: 'InvalidVocabularyError' });
    assert.throws(() => new CharTokenizer(['a', 'a']), { name: 'InvalidVocabularyError' });
    assert.throws(() => new CharTokenizer(['ab']), { name: 'InvalidVocabularyError' });
    assert.throws(() => new CharTokenizer([UNKNOWN_CHAR]), { name: 'InvalidVocabularyError' });
    assert.throws(() => ascii.decode([97]), { name: 'TokenOutOfRangeError' });
    assert.throws(() => ascii.decode([-1]), { name: 'TokenOutOfRangeError' });
  });
});

describe('Gpt2Tokenizer', () => {
  const tok = new Gpt2Tokenizer();

  it('encodes with GPT-2 BPE ids', () => {
    assert.deepEqual(tok.encode('Hello world'), [15496, 995]);
    assert.equal(tok.decode([GPT2_END_OF_TEXT]), '<|endoftext|>');
  });

  it('round-trips text, including non-ASCII', () => {
    for (const text of [
      'The quick brown fox.',
      ' héllo 😀 日本語\n\nend',
      'constructor toString __proto__',
    ]) {
      assert.equal(tok.decode(tok.encode(text)), text);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => assert.equal(tok.decode(tok.encode(text)), text)),
      { numRuns: 50 },
    );
  });

  it('rejects ids outside the vocabulary', () => {
    assert.throws(() => tok.decode([50257]), { name: 'TokenOutOfRangeError' });
  });
});

describe('TokenTextStream', () => {
  it('streams GPT-2 tokens without breaking multi-byte characters, and concatenates to decode()', () => {
    const tok = new Gpt2Tokenizer();
    for (const text of ['héllo 😀 日本語 ok', 'plain ascii', '🙂🙃 ∑∫ — done']) {
      const ids = tok.encode(text);
      const stream = new TokenTextStream(tok);
      const parts = ids.map((id) => stream.push(id));
      parts.push(stream.flush());
      assert.equal(parts.join(''), text);
      assert.ok(
        parts.every((p) => !p.includes(UNKNOWN_CHAR)),
        JSON.stringify(parts),
      );
    }
  });

  it('emits a genuine U+FFFD after at most 4 held-back tokens', () => {
    const ascii = CharTokenizer.printableAscii();
    const stream = new TokenTextStream(ascii);
    const u = UNKNOWN_CHAR;
    const parts = ascii.encode('a\tb').map((id) => stream.push(id));
    assert.deepEqual(parts, ['a', '', `${u}b`]);
    const run = ascii.encode('\t\t\t\t\tc').map((id) => stream.push(id));
    assert.deepEqual(run, ['', '', '', u.repeat(4), '', `${u}c`]);
    assert.equal(stream.flush(), '');
  });
});
