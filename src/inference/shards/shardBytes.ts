import { type GptConfig, headDim } from '../../model/index.ts';
import type { ExchangeSpec } from '../exchange.ts';

/**
 * The f32 bytes a host holds for units [start, end) of exchange `spec` of a
 * model of `config` (what `cutExchangeShard` returns): for `attn`, the heads'
 * q, k, v rows of c_attn and their biases and c_proj's columns; for `mlp`, the
 * c_fc rows, their biases and c_proj's columns; for `lm_head`, the wte rows.
 * The planner's `shardBytes` for GPT models.
 */
export function exchangeShardBytes(
  config: GptConfig,
  spec: ExchangeSpec,
  [start, end]: readonly [number, number],
): number {
  const C = config.dModel;
  const units = end - start;
  if (spec.matrix === 'lm_head') return 4 * units * C;
  if (spec.matrix === 'mlp') return 4 * units * (2 * C + 1);
  const n = units * headDim(config); // rows of each of q, k, v
  return 4 * n * (4 * C + 3); // 3n rows of C, 3n biases, C rows of n
}
