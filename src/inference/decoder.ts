import {
  checkTokenIds,
  embed,
  type GptConfig,
  type GptParams,
  Rng,
  type SamplingOptions,
  SequenceShapeError,
  sampleToken,
} from '../model/index.ts';
import { add, layerNorm } from '../tensor/index.ts';
import { CacheWindowInvalidError, ExchangeAnswerInvalidError } from './errors.ts';
import { type CacheWindow, type ExchangeBackend, type ExchangeSpec, gptExchanges } from './exchange.ts';
import { sumPartials } from './shards/compute.ts';

/** The window of exchanges without a cache (ignored by their shards). */
const NO_WINDOW: CacheWindow = { keepFrom: 0, keepTo: 0 };

/**
 * One session's decode loop on the gateway's side of the exchanges: the
 * embeddings, layer norms, canonical sums of the shards' partials with their
 * biases, residual adds and the assembly of the logits run here; every
 * exchange (attention with its KV cache, MLP, output head) goes to the
 * backend. `forward` takes T new tokens at once (a whole prompt is one
 * exchange per layer). With one shard per exchange and the shard kernels'
 * bits, the logits equal GptGenerator's bit for bit.
 *
 * The window: the backend's caches hold `length` entries. When T more would
 * not fit the context, the newest floor(contextLength/2) entries are kept (or
 * fewer, so that the T rows fit) and the new rows continue at the slot after
 * them, without feeding anything again. `rollback(n)` makes the next forward
 * keep only the first n entries. If the backend rejects, nothing advances and
 * the forward can be retried; after a failed forward that slid the window,
 * the next one keeps at most the entries that survived that slide.
 */
export class Decoder {
  readonly config: GptConfig;
  readonly #params: GptParams;
  readonly #backend: ExchangeBackend;
  readonly #exchanges: readonly ExchangeSpec[];
  /** Entries of the window the next forward continues from. */
  #length = 0;
  /**
   * Per layer, how many entries at the front of the window that layer's caches
   * have dropped already (non-zero only after a failed forward that slid).
   */
  readonly #dropped: number[];

  /** A decoder with empty caches whose exchanges go to `backend`. */
  constructor(params: GptParams, backend: ExchangeBackend) {
    this.config = params.config;
    this.#params = params;
    this.#backend = backend;
    this.#exchanges = gptExchanges(params.config);
    this.#dropped = new Array<number>(params.config.nLayers).fill(0);
  }

  /** Most entries the window holds (the model's context length); a forward past it slides first. */
  get capacity(): number {
    return this.config.contextLength;
  }

  /** Number of entries in the window (the position of the next token, before any slide). */
  get length(): number {
    return this.#length;
  }

  /** Makes the next forward keep only the first `length` entries; throws CacheWindowInvalidError beyond the window. */
  rollback(length: number): void {
    if (!Number.isSafeInteger(length) || length < 0 || length > this.#length) {
      throw new CacheWindowInvalidError(
        `Cannot roll back to ${length} entries of a window of ${this.#length}.`,
      );
    }
    this.#length = length;
  }

  /**
   * Runs `tokens` (T ≥ 1; only the newest contextLength of them if more)
   * through the model after the window and returns the logits of the last
   * `logitRows` of them, (logitRows × V), a new array. Throws
   * TokenOutOfRangeError or SequenceShapeError on bad input, and rejects with
   * whatever the backend rejects with (ExchangeAnswerInvalidError if its
   * answer has the wrong shape); then the window is as before.
   */
  async forward(tokens: readonly number[], logitRows: number): Promise<Float32Array> {
    const { vocabSize: V, nLayers } = this.config;
    const { length, hidden } = await this.#trunk(tokens, logitRows);
    if (logitRows === 0) return this.#commit(length, new Float32Array(0)); // the rows only fill the caches
    const head = await this.#ask(this.#exchanges[2 * nLayers]!, hidden, logitRows, NO_WINDOW, 0);
    return this.#commit(length, assembleLogits(head, logitRows, V));
  }

  /**
   * Runs `tokens` like `forward` but returns the final hidden states of every
   * token fed (the final layer norm's output, (T × C) with T the tokens fed,
   * at most contextLength), without asking the output head. Same errors and
   * window rules as `forward`.
   */
  async finalHidden(tokens: readonly number[]): Promise<Float32Array> {
    const T = Math.min(tokens.length, this.config.contextLength);
    const { length, hidden } = await this.#trunk(tokens, T);
    return this.#commit(length, hidden);
  }

  /**
   * Every layer of a forward over `tokens`, the last one only for the last
   * `outRows` rows: the window length it leaves and those rows' final layer
   * norm output (outRows × C). Commits nothing.
   */
  async #trunk(
    tokens: readonly number[],
    outRows: number,
  ): Promise<{ length: number; hidden: Float32Array }> {
    const { contextLength, vocabSize: V, nLayers, layerNormEps: eps, dModel: C } = this.config;
    const fed = tokens.slice(-contextLength);
    const T = fed.length;
    if (T < 1 || !Number.isSafeInteger(outRows) || outRows < 0 || outRows > T) {
      throw new SequenceShapeError(
        `${outRows} logit rows of ${T} tokens`,
        'Feed at least one token and ask for at most as many logit rows as tokens fed (within the context).',
      );
    }
    checkTokenIds(fed, V);
    const [keepFrom, keepTo] = this.#keep(T);
    const kept = keepTo - keepFrom;
    const w = this.#params.weights;
    let x = new Float32Array(T * C); // (rows, C): the residual stream of the rows still needed
    embed(w.wte, w.wpe, fed, T, T, C, kept, x);
    for (let l = 0; l < nLayers; l++) {
      const p = w.blocks[l]!;
      const rows = x.length / C;
      const outFrom = l === nLayers - 1 ? T - outRows : 0; // the last layer computes only the rows asked for
      const R = rows - outFrom;
      const ln = new Float32Array(rows * C);
      layerNorm(x, p.ln1.weight, p.ln1.bias, rows, C, eps, ln);
      const dropped = this.#dropped[l]!;
      const window: CacheWindow =
        kept === 0 ? { keepFrom: 0, keepTo: 0 } : { keepFrom: keepFrom - dropped, keepTo: keepTo - dropped };
      const attn = await this.#ask(this.#exchanges[2 * l]!, ln, rows, window, outFrom);
      this.#dropped[l] = keepFrom;
      if (R === 0) return { length: kept + T, hidden: new Float32Array(0) };
      const resid2 = new Float32Array(R * C);
      sumPartials(attn, p.attnProj.bias, resid2);
      add(x.subarray(outFrom * C), resid2, resid2); // (R, C)
      const ln2 = new Float32Array(R * C);
      layerNorm(resid2, p.ln2.weight, p.ln2.bias, R, C, eps, ln2);
      const mlp = await this.#ask(this.#exchanges[2 * l + 1]!, ln2, R, NO_WINDOW, 0);
      x = new Float32Array(R * C);
      sumPartials(mlp, p.mlpProj.bias, x);
      add(resid2, x, x); // (R, C)
    }
    const hidden = new Float32Array(outRows * C);
    layerNorm(x, w.lnF.weight, w.lnF.bias, outRows, C, eps, hidden);
    return { length: kept + T, hidden };
  }

  /** Makes a forward's window the current one (every layer's caches now hold it) and returns its logits. */
  #commit(length: number, logits: Float32Array): Float32Array {
    this.#length = length;
    this.#dropped.fill(0);
    return logits;
  }

  /** The window [keepFrom, keepTo) the next T rows continue after (indices into the current window). */
  #keep(T: number): [number, number] {
    const { contextLength } = this.config;
    const keepTo = this.#length;
    let keep = keepTo;
    if (keepTo + T > contextLength) keep = Math.min(keepTo, Math.floor(contextLength / 2), contextLength - T);
    const floor = Math.max(...this.#dropped);
    return [Math.min(Math.max(keepTo - keep, floor), keepTo), keepTo];
  }

  /** Sends one exchange to the backend. */
  #ask(
    spec: ExchangeSpec,
    x: Float32Array,
    rows: number,
    window: CacheWindow,
    outFrom: number,
  ): Promise<readonly Float32Array[]> {
    return this.#backend({ kind: spec.matrix, layer: spec.layer, name: spec.name, rows, x, window, outFrom });
  }
}

/** Options of `decodeTokens`: sampling (temperature, top-k, top-p), the seed, and when to stop. */
export type DecodeOptions = SamplingOptions & {
  maxNewTokens: number;
  /** Seed of the sampling RNG (stream 0), so every run of a prompt samples the same tokens. */
  seed: number;
  /** Stop after producing this token (it is yielded). */
  stopToken?: number;
  /** The token fed first when the prompt is empty (default 0). */
  startToken?: number;
  /**
   * Called with the logits each token is sampled from (V, before
   * temperature), just before the token is yielded (one-token-per-pass
   * decoding only: `speculativeDecode` does not call it).
   */
  onLogits?: (logits: Float32Array) => void;
};

/**
 * Continues `prompt` (clipped to the newest contextLength tokens), every
 * exchange going through `backend`: the whole prompt in one forward, then one
 * token per forward, sampled with `sampleToken` and `new Rng(seed)`. When the
 * context is full the window slides (see Decoder) without feeding anything
 * again.
 */
export async function* decodeTokens(
  params: GptParams,
  prompt: readonly number[],
  backend: ExchangeBackend,
  options: DecodeOptions,
): AsyncGenerator<number, void, void> {
  if (options.maxNewTokens < 1) return;
  const decoder = new Decoder(params, backend);
  const rng = new Rng(options.seed);
  let logits = await decoder.forward(prompt.length > 0 ? prompt : [options.startToken ?? 0], 1);
  for (let produced = 1; ; produced++) {
    const token = sampleToken(logits, rng, options);
    options.onLogits?.(logits);
    yield token;
    if (token === options.stopToken || produced >= options.maxNewTokens) return;
    logits = await decoder.forward([token], 1);
  }
}

/** The output head's shard answers (rows × n_s each, in vocabulary order) side by side: (rows × V). */
function assembleLogits(shards: readonly Float32Array[], rows: number, V: number): Float32Array {
  const widths = shards.map((s) => s.length / rows);
  if (widths.some((n) => !Number.isInteger(n) || n < 1) || widths.reduce((a, b) => a + b, 0) !== V) {
    throw new ExchangeAnswerInvalidError(
      `Output-head answers of [${shards.map((s) => s.length).join(', ')}] floats are not ${rows} rows of ${V} logits.`,
    );
  }
  const out = new Float32Array(rows * V);
  let col = 0;
  shards.forEach((s, i) => {
    const n = widths[i]!;
    for (let r = 0; r < rows; r++) out.set(s.subarray(r * n, (r + 1) * n), r * V + col);
    col += n;
  });
  return out;
}
