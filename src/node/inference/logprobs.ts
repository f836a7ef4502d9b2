import type { Tokenizer } from '../../model/index.ts';
import { exp, logF32, sum } from '../../tensor/index.ts';

/** Most alternatives `top_logprobs` may ask for (chat; OpenAI's limit). */
export const MAX_TOP_LOGPROBS = 20;
/** Most alternatives the legacy `logprobs: N` may ask for (OpenAI's limit). */
export const MAX_LEGACY_LOGPROBS = 5;

/** One generated token's log-probability, and the most likely tokens at its position (best first). */
export type TokenLogprob = {
  token: number;
  logprob: number;
  top: { token: number; logprob: number }[];
};

/**
 * Row log-softmax of one row of logits, in f32 with Concord's deterministic
 * kernels: shifted = x − max(x); lse = log(Σ exp(shifted)) (the canonical
 * `sum`); out = shifted − lse. Always finite for finite logits. A new array.
 */
export function logSoftmax(logits: Float32Array): Float32Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const x of logits) max = Math.max(max, x);
  const shifted = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) shifted[i] = Math.fround(logits[i]! - max);
  const e = new Float32Array(logits.length);
  exp(shifted, e);
  const lse = logF32(sum(e));
  const out = shifted;
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i]! - lse);
  return out;
}

/**
 * The log-probability of `token` under `logits` (the model's distribution,
 * before temperature, top-k or top-p) and the `top` most likely tokens
 * (ties to the lower id).
 */
export function tokenLogprob(logits: Float32Array, token: number, top: number): TokenLogprob {
  const lp = logSoftmax(logits);
  const best: number[] = [];
  if (top > 0) {
    const order = Array.from(lp.keys()).sort((a, b) => lp[b]! - lp[a]! || a - b);
    best.push(...order.slice(0, top));
  }
  return { token, logprob: lp[token]!, top: best.map((t) => ({ token: t, logprob: lp[t]! })) };
}

const utf8 = new TextEncoder();

/** A token's text alone (a byte-level token that is part of a character decodes to U+FFFD). */
function textOf(tokenizer: Tokenizer, token: number): string {
  return tokenizer.decode([token]);
}

/** One entry of a chat choice's `logprobs.content`, OpenAI-shaped. */
export function chatLogprobEntry(tokenizer: Tokenizer, lp: TokenLogprob) {
  const entry = (token: number, logprob: number) => {
    const text = textOf(tokenizer, token);
    return { token: text, logprob, bytes: [...utf8.encode(text)] };
  };
  return { ...entry(lp.token, lp.logprob), top_logprobs: lp.top.map((t) => entry(t.token, t.logprob)) };
}

/** A chat choice's `logprobs`: one entry per token. */
export function chatLogprobs(tokenizer: Tokenizer, lps: readonly TokenLogprob[]) {
  return { content: lps.map((lp) => chatLogprobEntry(tokenizer, lp)), refusal: null };
}

/**
 * A legacy completion choice's `logprobs` over `lps`: the tokens' texts,
 * their log-probabilities, the top alternatives as `{ text: logprob }`, and
 * each token's character offset in the generated text, counted from `offset`.
 */
export function legacyLogprobs(tokenizer: Tokenizer, lps: readonly TokenLogprob[], offset = 0) {
  const tokens: string[] = [];
  const textOffset: number[] = [];
  let at = offset;
  for (const lp of lps) {
    const text = textOf(tokenizer, lp.token);
    tokens.push(text);
    textOffset.push(at);
    at += text.length;
  }
  return {
    tokens,
    token_logprobs: lps.map((lp) => lp.logprob),
    top_logprobs: lps.map((lp) =>
      Object.fromEntries(lp.top.map((t) => [textOf(tokenizer, t.token), t.logprob] as const)),
    ),
    text_offset: textOffset,
  };
}
