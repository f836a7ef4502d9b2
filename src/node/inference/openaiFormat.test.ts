import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, Hex } from 'viem';
import {
  type CompletionHeader,
  chatPrompt,
  completionId,
  completionResponse,
  finalChunk,
  summarizeVotes,
  tokenChunk,
} from './openaiFormat.ts';

const a = '0x00000000000000000000000000000000000000aa' as Address;
const b = '0x00000000000000000000000000000000000000Bb' as Address;
const c = '0x00000000000000000000000000000000000000cc' as Address;
const session = `0x${'ab'.repeat(32)}` as Hex;
const usage = { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 };

describe('OpenAI formatting', () => {
  it('formats a chat as a transcript ending with the assistant’s turn', () => {
    assert.equal(
      chatPrompt([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ]),
      'system: Be brief.\nuser: Hi\nassistant:',
    );
  });

  it('counts a host outvoted on any shard of a token as outvoted, not as agreeing', () => {
    const votes = [
      { name: 'h.0.attn', shard: 0, agreed: [c, a], outvoted: [b] },
      { name: 'h.0.attn', shard: 1, agreed: [b, a], outvoted: [] },
      { name: 'h.0.mlp', shard: 0, agreed: [a, c], outvoted: [] },
    ];
    assert.deepEqual(summarizeVotes(votes), { agreed: [a, c], outvoted: [b] });
    assert.deepEqual(summarizeVotes([]), { agreed: [], outvoted: [] });
  });

  it('shapes completion chunks, the final chunk and whole answers as OpenAI does', () => {
    const text: CompletionHeader = {
      id: completionId('text', session),
      created: 1,
      model: 'm',
      kind: 'text',
    };
    assert.equal(text.id, `cmpl-${'ab'.repeat(32)}`);
    const votes = { agreed: [a], outvoted: [] };
    assert.deepEqual(tokenChunk(text, 5, 'x', votes, true), {
      id: text.id,
      object: 'text_completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, text: 'x', logprobs: null, finish_reason: null }],
      concord: { token: 5, agreed: [a], outvoted: [] },
    });
    const concord = { session, settlement: null, settlementError: 'refused' };
    assert.deepEqual(finalChunk(text, '', 'stop', usage, concord, false).choices, [
      { index: 0, text: '', logprobs: null, finish_reason: 'stop' },
    ]);
    const whole = completionResponse(text, 'xy', 'length', usage, { ...concord, tokens: [5, 6] });
    assert.equal(whole.object, 'text_completion');
    assert.deepEqual(whole.choices, [{ index: 0, text: 'xy', logprobs: null, finish_reason: 'length' }]);
  });

  it('shapes chat chunks with a role on the first delta and empty deltas for held-back text', () => {
    const chat: CompletionHeader = {
      id: completionId('chat', session),
      created: 1,
      model: 'm',
      kind: 'chat',
    };
    assert.ok(chat.id.startsWith('chatcmpl-'));
    const votes = { agreed: [], outvoted: [] };
    const first = tokenChunk(chat, 1, 'H', votes, true);
    assert.equal(first.object, 'chat.completion.chunk');
    assert.deepEqual(first.choices, [
      { index: 0, delta: { role: 'assistant', content: 'H' }, logprobs: null, finish_reason: null },
    ]);
    assert.deepEqual(tokenChunk(chat, 2, '', votes, false).choices[0], {
      index: 0,
      delta: {},
      logprobs: null,
      finish_reason: null,
    });
    assert.deepEqual(tokenChunk(chat, 3, 'i', votes, false).choices[0], {
      index: 0,
      delta: { content: 'i' },
      logprobs: null,
      finish_reason: null,
    });
    const whole = completionResponse(chat, 'Hi', 'length', usage, {
      session,
      settlement: null,
      tokens: [1, 3],
    });
    assert.equal(whole.object, 'chat.completion');
    assert.deepEqual(whole.choices, [
      { index: 0, message: { role: 'assistant', content: 'Hi' }, logprobs: null, finish_reason: 'length' },
    ]);
  });
});
