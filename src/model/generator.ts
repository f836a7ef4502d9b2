import { add, gelu, layerNorm, linear } from '../tensor/index.ts';
import { type GptConfig, headDim, mlpDim } from './config.ts';
import { KvCacheFullError } from './errors.ts';
import { attendRow, attentionScale, splitHeads } from './layers/attention.ts';
import { embed } from './layers/embedding.ts';
import { allocBuffer, freeBuffer, type Placement } from './memory.ts';
import type { GptParams } from './params.ts';
import { checkTokenIds } from './tokenizers/checkIds.ts';

/** The matrices of a block, by Hugging Face name, and the output head (tied to wte.weight). */
export type MatrixName = 'attn.c_attn' | 'attn.c_proj' | 'mlp.c_fc' | 'mlp.c_proj' | 'lm_head';

/** One matrix product of a decoding step: out (outDim) = weight (outDim, inDim) · x (inDim) + bias. */
export type LinearRequest = {
  /** Block index, or -1 for the output head. */
  readonly layer: number;
  readonly matrix: MatrixName;
  /** Parameter name of the weight: `h.{layer}.{matrix}.weight`, or `wte.weight` for the head. */
  readonly name: string;
  readonly weight: Float32Array;
  readonly bias: Float32Array | null;
  readonly inDim: number;
  readonly outDim: number;
  readonly x: Float32Array;
  /** Where the product must be written before the step continues. */
  readonly out: Float32Array;
};

/**
 * Incremental decoding with a KV cache: `step(token)` runs one new position
 * through the model, reusing the keys and values of the earlier positions.
 * It makes the same kernel calls as `Gpt.forward` does for that row, so its
 * logits equal row t of the full forward bit for bit.
 */
export class GptGenerator {
  readonly config: GptConfig;
  readonly #params: GptParams;
  #position = 0;
  // KV cache per layer: (nHeads, contextLength, headDim).
  readonly #k: Float32Array[];
  readonly #v: Float32Array[];
  // One-row workspace.
  readonly #x: Float32Array; // (C)
  readonly #ln: Float32Array; // (C)
  readonly #qkv: Float32Array; // (3C)
  readonly #q: Float32Array; // (nHeads, 1, headDim)
  readonly #y: Float32Array; // (C)
  readonly #proj: Float32Array; // (C)
  readonly #resid2: Float32Array; // (C)
  readonly #h: Float32Array; // (H)
  readonly #hAct: Float32Array; // (H)
  readonly #scores: Float32Array; // (contextLength)
  readonly #probs: Float32Array; // (contextLength)
  readonly #token = new Int32Array(1);
  readonly #logits: Float32Array; // (V)

  readonly #buffers: Float32Array[] = [];

  /** A decoder over `params` with an empty cache; with placement 'kernel', call `dispose()` when done. */
  constructor(params: GptParams, placement: Placement = 'js') {
    const config = params.config;
    const C = config.dModel;
    const H = mlpDim(config);
    const f = (n: number) => {
      const buf = allocBuffer(n, placement);
      this.#buffers.push(buf);
      return buf;
    };
    this.config = config;
    this.#params = params;
    this.#k = Array.from({ length: config.nLayers }, () => f(config.contextLength * C));
    this.#v = Array.from({ length: config.nLayers }, () => f(config.contextLength * C));
    this.#x = f(C);
    this.#ln = f(C);
    this.#qkv = f(3 * C);
    this.#q = f(C);
    this.#y = f(C);
    this.#proj = f(C);
    this.#resid2 = f(C);
    this.#h = f(H);
    this.#hAct = f(H);
    this.#scores = f(config.contextLength);
    this.#probs = f(config.contextLength);
    this.#logits = f(config.vocabSize);
  }

  /** Number of tokens in the cache, which is the position of the next token. */
  get position(): number {
    return this.#position;
  }

  /** Empties the cache. */
  reset(): void {
    this.#position = 0;
  }

  /** Frees the cache and workspace if they live in kernel memory; the generator must not be used afterwards. */
  dispose(): void {
    for (const buf of this.#buffers) freeBuffer(buf);
    this.#buffers.length = 0;
  }

  /** Feeds tokens one by one; returns the logits after the last (a workspace view) or undefined if none. */
  prefill(tokens: readonly number[]): Float32Array | undefined {
    let logits: Float32Array | undefined;
    for (const t of tokens) logits = this.step(t);
    return logits;
  }

  /**
   * Appends one token and returns the next-token logits (V) as a view that the
   * next step overwrites. Throws KvCacheFullError at the context length.
   */
  step(token: number): Float32Array {
    for (const r of this.#program(token)) linear(r.x, r.weight, r.bias, 1, r.inDim, r.outDim, r.out);
    return this.#logits;
  }

  /**
   * Like `step`, but every matrix product is delegated to `product` (for
   * example to the hosts of the matrix's row shards); everything else —
   * embeddings, layer norms, attention over the KV cache, GELU, residuals —
   * runs here. When `product` returns the bits of the `linear` kernel (each
   * output one canonical dot, plus the bias as one f32 add) the logits equal
   * `step`'s bit for bit. If `product` rejects, the position does not advance
   * and the step can be retried.
   */
  async stepAsync(token: number, product: (request: LinearRequest) => Promise<void>): Promise<Float32Array> {
    for (const r of this.#program(token)) await product(r);
    return this.#logits;
  }

  /** The step as a sequence of matrix products to perform, in order; the rest runs between yields. */
  *#program(token: number): Generator<LinearRequest, void, void> {
    const { nLayers, nHeads, layerNormEps: eps, vocabSize: V, contextLength } = this.config;
    checkTokenIds([token], V);
    const pos = this.#position;
    if (pos >= contextLength) throw new KvCacheFullError(contextLength);
    const w = this.#params.weights;
    const C = this.config.dModel;
    const H = mlpDim(this.config);
    const hd = headDim(this.config);
    const scale = attentionScale(this.config);
    const x = this.#x;
    this.#token[0] = token;
    const request = (
      layer: number,
      matrix: MatrixName,
      weight: Float32Array,
      bias: Float32Array | null,
      inDim: number,
      outDim: number,
      input: Float32Array,
      out: Float32Array,
    ): LinearRequest => ({
      layer,
      matrix,
      name: layer < 0 ? 'wte.weight' : `h.${layer}.${matrix}.weight`,
      weight,
      bias,
      inDim,
      outDim,
      x: input,
      out,
    });

    embed(w.wte, w.wpe, this.#token, 1, 1, C, pos, x); // (C)
    for (let l = 0; l < nLayers; l++) {
      const p = w.blocks[l]!;
      const k = this.#k[l]!;
      const v = this.#v[l]!;
      layerNorm(x, p.ln1.weight, p.ln1.bias, 1, C, eps, this.#ln); // (C)
      yield request(l, 'attn.c_attn', p.qkv.weight, p.qkv.bias, C, 3 * C, this.#ln, this.#qkv); // (3C)
      splitHeads(this.#qkv, 1, nHeads, hd, scale, this.#q, { k, v, capacity: contextLength, offset: pos }); // q (nHeads, hd); k, v cached
      const hs = contextLength * hd;
      for (let h = 0; h < nHeads; h++) {
        const qh = this.#q.subarray(h * hd, (h + 1) * hd); // (hd)
        const kh = k.subarray(h * hs, (h + 1) * hs); // (contextLength, hd)
        const vh = v.subarray(h * hs, (h + 1) * hs); // (contextLength, hd)
        const yh = this.#y.subarray(h * hd, (h + 1) * hd); // (hd)
        attendRow(qh, kh, vh, pos + 1, hd, this.#scores, this.#probs.subarray(0, pos + 1), yh);
      }
      yield request(l, 'attn.c_proj', p.attnProj.weight, p.attnProj.bias, C, C, this.#y, this.#proj); // (C)
      add(x, this.#proj, this.#resid2); // (C)
      layerNorm(this.#resid2, p.ln2.weight, p.ln2.bias, 1, C, eps, this.#ln); // (C)
      yield request(l, 'mlp.c_fc', p.fc.weight, p.fc.bias, C, H, this.#ln, this.#h); // (H)
      gelu(this.#h, this.#hAct); // (H)
      yield request(l, 'mlp.c_proj', p.mlpProj.weight, p.mlpProj.bias, H, C, this.#hAct, this.#proj); // (C)
      add(this.#resid2, this.#proj, x); // (C)
    }
    layerNorm(x, w.lnF.weight, w.lnF.bias, 1, C, eps, this.#ln); // (C)
    yield request(-1, 'lm_head', w.wte, null, C, V, this.#ln, this.#logits); // (V), tied to wte
    this.#position = pos + 1;
  }
}
