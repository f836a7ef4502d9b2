import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  describeRefusal,
  parseStreamEvent,
  settlementLine,
  type TokenEvent,
  tokenHostsRowHtml,
  tokenHtml,
} from './completionStream.ts';

const A = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const B = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const TX = `0x${'12'.repeat(32)}`;

const tokenChunk = (text: string, agreed: string[], outvoted: string[]) =>
  JSON.stringify({
    id: 'cmpl-1',
    object: 'text_completion',
    created: 1,
    model: 'concord-char',
    choices: [{ text, index: 0, logprobs: null, finish_reason: null }],
    concord: { token: 4, agreed, outvoted },
  });

describe('parseStreamEvent', () => {
  it('reads a completion token chunk with the hosts that agreed and were outvoted', () => {
    assert.deepEqual(parseStreamEvent(tokenChunk('e', [A, B], [])), {
      type: 'token',
      tokenId: 4,
      text: 'e',
      agreed: [A, B],
      outvoted: [],
    });
  });

  it('reads a chat chunk delta', () => {
    const chunk = {
      object: 'chat.completion.chunk',
      choices: [{ delta: { content: 'hi' } }],
      concord: { token: 0, agreed: [A], outvoted: [B] },
    };
    assert.deepEqual(parseStreamEvent(JSON.stringify(chunk)), {
      type: 'token',
      tokenId: 0,
      text: 'hi',
      agreed: [A],
      outvoted: [B],
    });
  });

  it('reads the final chunk with usage and settlement, and [DONE]', () => {
    const final = {
      choices: [{ text: '', finish_reason: 'length' }],
      usage: { prompt_tokens: 3, completion_tokens: 8, total_tokens: 11 },
      concord: {
        session: TX,
        settlement: {
          txHash: TX,
          credits: '8000000000000000',
          slashed: [{ host: B, amount: '10', txHash: TX }],
        },
      },
    };
    const event = parseStreamEvent(JSON.stringify(final));
    assert.deepEqual(event, {
      type: 'final',
      finishReason: 'length',
      completionTokens: 8,
      session: TX,
      settlement: {
        txHash: TX,
        credits: '8000000000000000',
        slashed: [{ host: B, amount: '10', txHash: TX }],
      },
      settlementError: null,
      error: null,
    });
    assert.deepEqual(parseStreamEvent('[DONE]'), { type: 'done' });
  });

  it('ignores chunks without a token index, and throws SyntaxError on non-JSON', () => {
    assert.equal(parseStreamEvent('{"choices":[{"text":"x"}]}'), null);
    assert.equal(parseStreamEvent('[1,2]'), null);
    assert.throws(() => parseStreamEvent('{oops'), { name: 'SyntaxError' });
  });
});

describe('the playground lines', () => {
  it('marks a token with outvoted hosts as disputed and lists both kinds of host', () => {
    const e = parseStreamEvent(tokenChunk('a', [A], [B])) as TokenEvent;
    assert.equal(
      tokenHtml(e, 2),
      '<span class="tok disputed" data-token="2" title="token 2 (id 4): 1 hosts agreed, 1 outvoted">a</span>',
    );
    const row = tokenHostsRowHtml(e, 2);
    assert.match(row, /^<tr data-token="2"><td>2<\/td><td>4<\/td><td><code>&#34;a&#34;<\/code>/);
    assert.match(row, /<code class="agreed" title="0x7099[^"]+">0x709979…<\/code>/);
    assert.match(row, /<code class="outvoted" title="0x3C44[^"]+">0x3C44Cd…<\/code>/);
  });

  it('never lets token text or host names become markup', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (text, host) => {
        const e = {
          type: 'token' as const,
          tokenId: 0,
          text: `<b>${text}`,
          agreed: [`<i>${host}`],
          outvoted: [],
        };
        assert.ok(!tokenHtml(e, 0).includes('<b>'));
        assert.ok(!tokenHostsRowHtml(e, 0).includes('<i>'));
      }),
    );
  });

  it('says what was settled, or why not', () => {
    const base = {
      type: 'final' as const,
      finishReason: 'stop',
      completionTokens: 5,
      session: TX,
      error: null,
    };
    assert.equal(
      settlementLine({
        ...base,
        settlement: { txHash: TX, credits: '5', slashed: [{ host: B, amount: '7', txHash: TX }] },
        settlementError: null,
      }),
      '5 tokens (stop) · session 0x121212… · settled: 5 credits, tx 0x121212… · slashed 0x3C44Cd… 7 wei',
    );
    assert.equal(
      settlementLine({ ...base, settlement: null, settlementError: 'SessionAlreadySettled' }),
      '5 tokens (stop) · session 0x121212… · not settled: SessionAlreadySettled',
    );
    const failed = parseStreamEvent(
      JSON.stringify({
        error: { code: 'HOSTS_UNAVAILABLE', message: 'no host answered' },
        usage: { prompt_tokens: 1, completion_tokens: 5, total_tokens: 6 },
        concord: { session: TX, settlement: null },
      }),
    );
    assert.equal(failed?.type, 'final');
    assert.equal(
      settlementLine(failed as Extract<typeof failed, { type: 'final' }>),
      '5 tokens (failed: HOSTS_UNAVAILABLE: no host answered) · session 0x121212… · not settled',
    );
  });

  it('describes a refusal from the API error body, else from the status', () => {
    assert.equal(
      describeRefusal(
        402,
        JSON.stringify({ error: { code: 'INSUFFICIENT_CREDITS', message: 'Buy credits.' } }),
      ),
      'INSUFFICIENT_CREDITS: Buy credits.',
    );
    assert.equal(describeRefusal(502, 'Bad Gateway'), 'HTTP 502: Bad Gateway');
  });
});
