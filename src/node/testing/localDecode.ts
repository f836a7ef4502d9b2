import {
  type DecodeOptions,
  decodeTokens,
  localExchangeBackend,
  type Sharding,
} from '../../inference/index.ts';
import type { GptParams } from '../../model/index.ts';

/**
 * The tokens a served model's distributed answer must equal: `prompt`
 * continued by local decoding with every shard of `sharding` (the plan's)
 * computed in this process, partials summed in the plan's order. For tests.
 */
export async function localPlanTokens(
  params: GptParams,
  sharding: Sharding,
  prompt: readonly number[],
  options: DecodeOptions,
): Promise<number[]> {
  const backend = localExchangeBackend(params, sharding);
  const tokens: number[] = [];
  try {
    for await (const token of decodeTokens(params, prompt, backend, options)) tokens.push(token);
  } finally {
    backend.dispose();
  }
  return tokens;
}
