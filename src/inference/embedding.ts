import type { GptParams } from '../model/index.ts';
import { scale, sumRows } from '../tensor/index.ts';
import { Decoder } from './decoder.ts';
import type { ExchangeBackend } from './exchange.ts';

/**
 * Mean pooling of `rows` hidden states (rows × width): their canonical sum
 * (`sumRows`) scaled by 1/rows in f32, the pooling of `Gpt.embed` and of the
 * `embed` task kind. Returns a new array (width).
 */
export function meanPool(hidden: Float32Array, rows: number, width: number): Float32Array {
  const out = new Float32Array(width);
  sumRows(hidden, rows, width, out);
  scale(out, 1 / rows, out);
  return out;
}

/**
 * The embedding of `tokens` (1 to contextLength of them; only the newest
 * contextLength if more) with every exchange going through `backend`: the
 * prompt's prefill on a fresh Decoder, without the output head, and the mean
 * over tokens of the final layer norm's output (`meanPool`), f32 (dModel).
 * With `localExchangeBackend` it is the local reference; with a session's
 * backend the hosts compute it, bit for bit the same under the same sharding.
 * Throws SequenceShapeError for no tokens, TokenOutOfRangeError for ids
 * outside the vocabulary.
 */
export async function embedTokens(
  params: GptParams,
  tokens: readonly number[],
  backend: ExchangeBackend,
): Promise<Float32Array> {
  const hidden = await new Decoder(params, backend).finalHidden(tokens);
  const rows = Math.min(tokens.length, params.config.contextLength);
  return meanPool(hidden, rows, params.config.dModel);
}
