import type { Gpt } from './gpt.ts';
import type { Rng } from './rng.ts';
import { type SamplingOptions, sampleToken } from './sample.ts';

/** Options of `generate`. */
export type GenerateOptions = SamplingOptions & {
  /** How many tokens to produce. */
  maxNewTokens: number;
  /** Stop after producing this token (it is included in the result). */
  stopToken?: number;
  /** The token fed first when the prompt is empty (default 0; GPT-2 uses 50256, <|endoftext|>). */
  startToken?: number;
};

/**
 * Continues `prompt` by sampling with a KV cache. When the cache is full the
 * window slides: the cache restarts from the last half-context of tokens.
 * Returns only the new tokens. Deterministic for a given RNG state; throws
 * TokenOutOfRangeError for prompt ids outside the vocabulary.
 */
export function generate(
  model: Gpt,
  prompt: readonly number[],
  rng: Rng,
  options: GenerateOptions,
): number[] {
  const gen = model.generator();
  const window = Math.max(1, Math.floor(model.config.contextLength / 2));
  const context = prompt.slice(-model.config.contextLength);
  let logits = gen.prefill(context.length > 0 ? context : [options.startToken ?? 0]);
  const out: number[] = [];
  const history = [...context];
  while (out.length < options.maxNewTokens && logits) {
    const token = sampleToken(logits, rng, options);
    out.push(token);
    history.push(token);
    if (token === options.stopToken || out.length === options.maxNewTokens) break;
    if (gen.position >= model.config.contextLength) {
      gen.reset();
      logits = gen.prefill(history.slice(-window));
    } else {
      logits = gen.step(token);
    }
  }
  return out;
}
