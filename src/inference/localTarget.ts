import { GptGenerator, type GptParams } from '../model/index.ts';
import type { SpeculationTarget } from './speculate.ts';

/**
 * A speculation target computed in this process by the model's incremental
 * decoder: one KV-cache step per token, rollback by forgetting cache entries.
 * When an append would overflow the context, the cache restarts from its
 * newest floor(contextLength / 2) tokens (fed again) before the new ones.
 */
export class LocalSpeculationTarget implements SpeculationTarget {
  readonly capacity: number;
  readonly #gen: GptGenerator;
  /** The tokens in the cache, oldest first. */
  #tokens: number[] = [];

  constructor(params: GptParams) {
    this.capacity = params.config.contextLength;
    this.#gen = new GptGenerator(params);
  }

  get length(): number {
    return this.#tokens.length;
  }

  async forward(tokens: readonly number[], logitRows: number): Promise<Float32Array> {
    if (this.#tokens.length + tokens.length > this.capacity) {
      this.#tokens = this.#tokens.slice(-Math.max(1, Math.floor(this.capacity / 2)));
      this.#gen.reset();
      this.#gen.prefill(this.#tokens);
    }
    const V = this.#gen.config.vocabSize;
    const out = new Float32Array(logitRows * V);
    const first = tokens.length - logitRows;
    tokens.forEach((token, i) => {
      const logits = this.#gen.step(token);
      this.#tokens.push(token);
      if (i >= first) out.set(logits, (i - first) * V);
    });
    return out;
  }

  rollback(length: number): void {
    this.#gen.rollback(length);
    this.#tokens.length = length;
  }
}
