import { UnsupportedParameterError } from '../inference/completionErrors.ts';
import type { CompletionKind } from '../inference/openaiFormat.ts';

/**
 * OpenAI request fields the completion endpoints do not offer, and the
 * values of them that ask for nothing (accepted): any other value is refused
 * with 400 `UNSUPPORTED_PARAMETER` naming the field, never silently dropped.
 * Documented in docs/api.md, "Unsupported parameters".
 */
const UNSUPPORTED: Record<
  string,
  { why: string; harmless: (value: unknown) => boolean; only?: CompletionKind }
> = {
  tools: { why: 'the models have no tool calling', harmless: isEmptyList },
  tool_choice: { why: 'the models have no tool calling', harmless: (v) => v === 'none' },
  parallel_tool_calls: { why: 'the models have no tool calling', harmless: (v) => v === false },
  functions: { why: 'the models have no function calling', harmless: isEmptyList },
  function_call: { why: 'the models have no function calling', harmless: (v) => v === 'none' },
  response_format: {
    why: 'only text answers are offered',
    harmless: (v) => isObject(v) && v.type === 'text' && Object.keys(v).length === 1,
  },
  n: { why: 'one choice per request', harmless: (v) => v === 1 },
  best_of: { why: 'one choice per request', harmless: (v) => v === 1, only: 'text' },
  echo: { why: 'the prompt is not echoed', harmless: (v) => v === false, only: 'text' },
  suffix: { why: 'no insertion (suffix) mode', harmless: (v) => v === '', only: 'text' },
  logit_bias: { why: 'logits are not biased', harmless: (v) => isObject(v) && Object.keys(v).length === 0 },
  presence_penalty: { why: 'sampling has no penalties', harmless: (v) => v === 0 },
  frequency_penalty: { why: 'sampling has no penalties', harmless: (v) => v === 0 },
  audio: { why: 'no audio', harmless: () => false },
  modalities: {
    why: 'text only',
    harmless: (v) => Array.isArray(v) && v.length === 1 && v[0] === 'text',
  },
  prediction: { why: 'no predicted outputs', harmless: () => false },
  reasoning_effort: { why: 'the models do not reason in steps', harmless: () => false },
  web_search_options: { why: 'no web search', harmless: () => false },
};

function isEmptyList(v: unknown): boolean {
  return Array.isArray(v) && v.length === 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Refuses a request to `kind`'s endpoint that asks for an OpenAI feature the
 * node does not offer (UnsupportedParameterError, `param` naming the first
 * such field); a field given as null, or with a value that asks for nothing
 * (`n: 1`, `tools: []`, `response_format: { type: 'text' }`, …), passes.
 */
export function checkSupportedParams(body: Record<string, unknown>, kind: CompletionKind): void {
  for (const [param, rule] of Object.entries(UNSUPPORTED)) {
    const value = body[param];
    if (value === undefined || value === null || rule.harmless(value)) continue;
    if (rule.only !== undefined && rule.only !== kind) continue;
    throw new UnsupportedParameterError(`${param} is not supported: ${rule.why}.`, {
      param,
      hint: 'Leave it out; see docs/api.md, "Unsupported parameters".',
    });
  }
}
