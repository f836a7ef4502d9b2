import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSupportedParams } from './openaiParams.ts';

describe('checkSupportedParams', () => {
  it('refuses OpenAI features the node does not offer, naming the field', () => {
    const refused: [Record<string, unknown>, string][] = [
      [{ tools: [{ type: 'function' }] }, 'tools'],
      [{ tool_choice: 'required' }, 'tool_choice'],
      [{ response_format: { type: 'json_schema', json_schema: {} } }, 'response_format'],
      [{ response_format: { type: 'text', extra: 1 } }, 'response_format'],
      [{ n: 3 }, 'n'],
      [{ logit_bias: { 5: 1 } }, 'logit_bias'],
      [{ frequency_penalty: 0.1 }, 'frequency_penalty'],
      [{ modalities: ['text', 'audio'] }, 'modalities'],
      [{ audio: {} }, 'audio'],
    ];
    for (const [body, param] of refused) {
      assert.throws(
        () => checkSupportedParams(body, 'chat'),
        (err: Error & { param?: string; status?: number }) =>
          err.name === 'UnsupportedParameterError' && err.param === param && err.status === 400,
        JSON.stringify(body),
      );
    }
    assert.throws(() => checkSupportedParams({ echo: true }, 'text'), { name: 'UnsupportedParameterError' });
  });

  it('passes null, values that ask for nothing, and fields of the other endpoint', () => {
    const fine = {
      tools: [],
      tool_choice: 'none',
      response_format: { type: 'text' },
      n: 1,
      logit_bias: {},
      presence_penalty: 0,
      modalities: ['text'],
      audio: null,
      user: 'someone',
    };
    checkSupportedParams(fine, 'chat');
    checkSupportedParams({ echo: true, best_of: 3 }, 'chat'); // legacy-only fields mean nothing to chat
  });
});
