import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CharTokenizer } from '../../model/index.ts';
import { chatLogprobs, legacyLogprobs, logSoftmax, tokenLogprob } from './logprobs.ts';

describe('logprobs', () => {
  it('logSoftmax: finite, exp sums to 1, shift-invariant, deterministic', () => {
    const logits = Float32Array.from([2, -1, 0.5, 2, -300]);
    const lp = logSoftmax(logits);
    assert.ok(lp.every(Number.isFinite));
    const total = [...lp].reduce((s, x) => s + Math.exp(x), 0);
    assert.ok(Math.abs(total - 1) < 1e-6, String(total));
    assert.deepEqual(logSoftmax(Float32Array.from(logits, (x) => x + 8)), lp);
    assert.deepEqual(logSoftmax(logits), lp);
    assert.ok(lp[4]! < -300); // far below: still finite
  });

  it('tokenLogprob: the token’s logprob and the top alternatives, ties to the lower id', () => {
    const logits = Float32Array.from([2, -1, 0.5, 2]);
    const lp = logSoftmax(logits);
    const got = tokenLogprob(logits, 2, 3);
    assert.equal(got.logprob, lp[2]);
    assert.deepEqual(
      got.top.map((t) => t.token),
      [0, 3, 2],
    );
    assert.deepEqual(tokenLogprob(logits, 1, 0).top, []);
  });

  it('shapes chat and legacy logprobs as OpenAI does', () => {
    const tok = CharTokenizer.printableAscii();
    const [a, b] = [tok.encode('a')[0]!, tok.encode('b')[0]!];
    const lps = [
      { token: a, logprob: -0.5, top: [{ token: a, logprob: -0.5 }] },
      { token: b, logprob: -1, top: [{ token: a, logprob: -0.25 }] },
    ];
    assert.deepEqual(chatLogprobs(tok, lps), {
      content: [
        {
          token: 'a',
          logprob: -0.5,
          bytes: [97],
          top_logprobs: [{ token: 'a', logprob: -0.5, bytes: [97] }],
        },
        { token: 'b', logprob: -1, bytes: [98], top_logprobs: [{ token: 'a', logprob: -0.25, bytes: [97] }] },
      ],
      refusal: null,
    });
    assert.deepEqual(legacyLogprobs(tok, lps, 3), {
      tokens: ['a', 'b'],
      token_logprobs: [-0.5, -1],
      top_logprobs: [{ a: -0.5 }, { a: -0.25 }],
      text_offset: [3, 4],
    });
  });
});
