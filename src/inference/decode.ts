import {
  GptGenerator,
  type GptParams,
  type LinearRequest,
  Rng,
  type SamplingOptions,
  sampleToken,
} from '../model/index.ts';
import { linear } from '../tensor/index.ts';

/**
 * Where the matrix products of a decoding step are computed. `local` runs the
 * `linear` kernel in this process; the gateway's backend asks the hosts of
 * each row shard over the network. A backend must write into `request.out`
 * exactly the bits of `linear(x, weight, bias)` for the whole step to be
 * bit-identical to local inference.
 */
export type LinearBackend = (request: LinearRequest) => Promise<void>;

/** The kernel in this process: the model's own forward, one call per matrix. */
export const localBackend: LinearBackend = async (r) => {
  linear(r.x, r.weight, r.bias, 1, r.inDim, r.outDim, r.out);
};

/** Options of `decode`: sampling (temperature, top-k, top-p), the seed, and when to stop. */
export type DecodeOptions = SamplingOptions & {
  maxNewTokens: number;
  /** Seed of the sampling RNG (stream 0), so every run of a prompt samples the same tokens. */
  seed: number;
  /** Stop after producing this token (it is yielded). */
  stopToken?: number;
  /** The token fed first when the prompt is empty (default 0). */
  startToken?: number;
};

/**
 * Continues `prompt` one token at a time, every matrix product going through
 * `backend`; everything else (embeddings, layer norms, attention over the KV
 * cache, GELU, sampling) runs here. The same semantics as the model's
 * `generate` (prompt clipped to the context, a sliding half-context window when
 * the cache is full), so with `localBackend` it yields exactly `generate`'s
 * tokens for `new Rng(seed)`.
 */
export async function* decode(
  params: GptParams,
  prompt: readonly number[],
  backend: LinearBackend,
  options: DecodeOptions,
): AsyncGenerator<number, void, void> {
  const { contextLength } = params.config;
  const gen = new GptGenerator(params);
  const rng = new Rng(options.seed);
  const window = Math.max(1, Math.floor(contextLength / 2));
  const history = prompt.slice(-contextLength);
  const feed = async (tokens: readonly number[]) => {
    let logits: Float32Array | undefined;
    for (const t of tokens) logits = await gen.stepAsync(t, backend);
    return logits;
  };
  let logits = await feed(history.length > 0 ? history : [options.startToken ?? 0]);
  for (let produced = 0; logits && produced < options.maxNewTokens; ) {
    const token = sampleToken(logits, rng, options);
    produced++;
    history.push(token);
    yield token;
    if (token === options.stopToken || produced === options.maxNewTokens) return;
    if (gen.position >= contextLength) {
      gen.reset();
      logits = await feed(history.slice(-window));
    } else {
      logits = await gen.stepAsync(token, backend);
    }
  }
}
