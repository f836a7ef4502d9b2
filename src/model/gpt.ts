/**
 * Concord's GPT-2-architecture model in one file (nanoGPT style): token and
 * position embeddings, nLayers pre-LN blocks (causal multi-head attention,
 * GELU MLP), a final layer norm and an output head tied to the token
 * embedding. Every matrix is stored `(out, in)` and applied with the `linear`
 * kernel, so each output element is one canonical dot (row-sharded inference
 * gives the same bits). Shapes: B sequences of T tokens, BT = B·T rows, C =
 * dModel, H = mlpRatio·C, V = vocabSize.
 */
import {
  add,
  gelu,
  geluBackward,
  layerNorm,
  layerNormBackward,
  linear,
  scale,
  sumRows,
} from '../tensor/index.ts';
import { type BlockActivations, GptActivations } from './activations.ts';
import { type GptConfig, headDim, mlpDim, sameConfig } from './config.ts';
import { BackwardWithoutLossError, GradientShapeError, SequenceShapeError } from './errors.ts';
import { GptGenerator } from './generator.ts';
import {
  attentionBackward,
  attentionForward,
  attentionScale,
  mergeHeadGrads,
  splitHeads,
} from './layers/attention.ts';
import { crossEntropy, crossEntropyBackward } from './layers/crossEntropy.ts';
import { embed, embedBackward } from './layers/embedding.ts';
import { linearBackward } from './layers/linear.ts';
import type { Placement } from './memory.ts';
import type { GptParams, LayerNormWeights, LinearWeights } from './params.ts';
import { checkTokenIds } from './tokenizers/checkIds.ts';

/**
 * A GPT model over its parameters. `forward` gives logits, `loss` the mean
 * cross-entropy and keeps the activations, `backward` writes every
 * parameter's gradient, `generator` decodes incrementally with a KV cache.
 * Buffers are allocated once per (batchSize, seqLen) and reused.
 */
export class Gpt {
  readonly config: GptConfig;
  readonly params: GptParams;
  /** Where activations and generator caches live (see memory.ts). */
  readonly placement: Placement;
  #acts: GptActivations | undefined;
  #hasLoss = false;

  /**
   * A model over `params` (not copied: an optimizer updating them updates the
   * model). With placement 'kernel', call `dispose()` when done.
   */
  constructor(params: GptParams, options: { placement?: Placement } = {}) {
    this.config = params.config;
    this.params = params;
    this.placement = options.placement ?? 'js';
  }

  /**
   * Logits (B·T, V) of `batchSize` sequences of equal length laid end to end.
   * The returned array is a workspace view, valid until the next call; copy it to keep it.
   */
  forward(tokens: ArrayLike<number>, batchSize = 1): Float32Array {
    const acts = this.#prepare(tokens, batchSize);
    this.#hasLoss = false;
    this.#forward(acts);
    return acts.logits;
  }

  /**
   * A text embedding: the mean over positions of the final hidden states
   * (ln_f's output, (T, C)), summed with the canonical `sumRows` and scaled by
   * 1/T in f32. The output head is skipped. Returns a new array (C).
   */
  embed(tokens: ArrayLike<number>): Float32Array {
    const acts = this.#prepare(tokens, 1);
    this.#hasLoss = false;
    this.#forward(acts, false);
    const T = acts.seqLen;
    const out = new Float32Array(this.config.dModel);
    sumRows(acts.lnF, T, this.config.dModel, out);
    scale(out, 1 / T, out);
    return out;
  }

  /** Mean next-token cross-entropy of the batch; keeps the activations for `backward`. */
  loss(tokens: ArrayLike<number>, targets: ArrayLike<number>, batchSize = 1): number {
    const acts = this.#prepare(tokens, batchSize);
    if (targets.length !== tokens.length) {
      throw new SequenceShapeError(
        `${targets.length} targets for ${tokens.length} tokens`,
        'Give one target id per input token (the next token of the text).',
      );
    }
    checkTokenIds(targets, this.config.vocabSize);
    acts.targets.set(targets);
    this.#forward(acts);
    const BT = acts.batchSize * acts.seqLen;
    const value = crossEntropy(
      acts.logits,
      acts.targets,
      BT,
      this.config.vocabSize,
      acts.probs,
      acts.pTarget,
    );
    this.#hasLoss = true;
    return value;
  }

  /** Writes d(loss)/d(parameter) of the last `loss` call into `grads` (overwritten, same layout as the params). */
  backward(grads: GptParams): void {
    const acts = this.#acts;
    if (!acts || !this.#hasLoss) throw new BackwardWithoutLossError();
    if (!sameConfig(grads.config, this.config)) throw new GradientShapeError();
    this.#hasLoss = false;
    this.#backward(acts, grads);
  }

  /** An incremental decoder with its own KV cache (bit-identical to `forward`'s rows), placed like the model. */
  generator(): GptGenerator {
    return new GptGenerator(this.params, this.placement);
  }

  /** Frees the workspace if it lives in kernel memory (the params are not touched); the next call reallocates. */
  dispose(): void {
    this.#acts?.dispose();
    this.#acts = undefined;
    this.#hasLoss = false;
  }

  /** Checks the batch and copies the tokens into a workspace of the right size. */
  #prepare(tokens: ArrayLike<number>, batchSize: number): GptActivations {
    const { contextLength, vocabSize } = this.config;
    if (!Number.isInteger(batchSize) || batchSize < 1 || tokens.length % batchSize !== 0) {
      throw new SequenceShapeError(
        `${tokens.length} tokens do not split into ${batchSize} equal sequences`,
        'Pass batchSize >= 1 sequences of equal length laid end to end.',
      );
    }
    const T = tokens.length / batchSize;
    if (T < 1 || T > contextLength) {
      throw new SequenceShapeError(
        `sequence length ${T} is outside [1, ${contextLength}]`,
        'Split the text into windows no longer than the context length.',
      );
    }
    checkTokenIds(tokens, vocabSize);
    let acts = this.#acts;
    if (!acts || acts.batchSize !== batchSize || acts.seqLen !== T) {
      this.#acts?.dispose();
      acts = new GptActivations(this.config, batchSize, T, this.placement);
      this.#acts = acts;
    }
    acts.tokens.set(tokens);
    return acts;
  }

  #forward(a: GptActivations, withHead = true): void {
    const { nLayers, nHeads, layerNormEps: eps, vocabSize: V } = this.config;
    const w = this.params.weights;
    const [B, T, C, H] = [a.batchSize, a.seqLen, this.config.dModel, mlpDim(this.config)];
    const BT = B * T;
    const dims = { T, nHeads, headDim: headDim(this.config) };
    const scale = attentionScale(this.config);
    const seq = (buf: Float32Array, b: number, width = C) => buf.subarray(b * T * width, (b + 1) * T * width);
    const heads = (s: BlockActivations, b: number) => ({ q: seq(s.q, b), k: seq(s.k, b), v: seq(s.v, b) });
    const probsOf = (buf: Float32Array, b: number) =>
      buf.subarray(b * nHeads * T * T, (b + 1) * nHeads * T * T);

    embed(w.wte, w.wpe, a.tokens, BT, T, C, 0, a.resid[0]!); // (BT, C)
    for (let l = 0; l < nLayers; l++) {
      const p = w.blocks[l]!;
      const s = a.blocks[l]!;
      const x = a.resid[l]!; // (BT, C)
      layerNorm(x, p.ln1.weight, p.ln1.bias, BT, C, eps, s.ln1, s.ln1Mean, s.ln1Rstd); // (BT, C)
      linear(s.ln1, p.qkv.weight, p.qkv.bias, BT, C, 3 * C, a.qkv); // (BT, 3C)
      for (let b = 0; b < B; b++) {
        const qkv = heads(s, b); // (nHeads, T, hd) x3
        const kv = { k: qkv.k, v: qkv.v, capacity: T, offset: 0 };
        splitHeads(seq(a.qkv, b, 3 * C), T, nHeads, dims.headDim, scale, qkv.q, kv); // (nHeads, T, hd) x3
        attentionForward(qkv, dims, probsOf(s.probs, b), seq(s.attY, b), a); // (T, C)
      }
      linear(s.attY, p.attnProj.weight, p.attnProj.bias, BT, C, C, a.proj); // (BT, C)
      add(x, a.proj, s.resid2); // (BT, C)
      layerNorm(s.resid2, p.ln2.weight, p.ln2.bias, BT, C, eps, s.ln2, s.ln2Mean, s.ln2Rstd); // (BT, C)
      linear(s.ln2, p.fc.weight, p.fc.bias, BT, C, H, s.fcPre); // (BT, H)
      gelu(s.fcPre, s.fcAct); // (BT, H)
      linear(s.fcAct, p.mlpProj.weight, p.mlpProj.bias, BT, H, C, a.proj); // (BT, C)
      add(s.resid2, a.proj, a.resid[l + 1]!); // (BT, C)
    }
    const last = a.resid[nLayers]!; // (BT, C)
    layerNorm(last, w.lnF.weight, w.lnF.bias, BT, C, eps, a.lnF, a.lnFMean, a.lnFRstd); // (BT, C)
    if (withHead) linear(a.lnF, w.wte, null, BT, C, V, a.logits); // (BT, V), tied head
  }

  #backward(a: GptActivations, grads: GptParams): void {
    const { nLayers, nHeads, vocabSize: V } = this.config;
    const w = this.params.weights;
    const g = grads.weights;
    const [B, T, C, H] = [a.batchSize, a.seqLen, this.config.dModel, mlpDim(this.config)];
    const BT = B * T;
    const dims = { T, nHeads, headDim: headDim(this.config) };
    const scale = attentionScale(this.config);
    const seq = (buf: Float32Array, b: number, width = C) => buf.subarray(b * T * width, (b + 1) * T * width);
    const heads = (q: Float32Array, k: Float32Array, v: Float32Array, b: number) => ({
      q: seq(q, b),
      k: seq(k, b),
      v: seq(v, b),
    });
    const probsOf = (buf: Float32Array, b: number) =>
      buf.subarray(b * nHeads * T * T, (b + 1) * nHeads * T * T);
    const scratch = { dyHead: a.dyHead, dProbs: a.dProbs, dScores: a.dScores };
    // Gradients of a linear layer (weight and bias overwritten) and of a layer norm, over BT rows.
    const linBack = (
      dy: Float32Array,
      x: Float32Array,
      lw: LinearWeights,
      gw: LinearWeights,
      inDim: number,
      outDim: number,
      dx: Float32Array,
    ) => linearBackward(dy, x, lw.weight, BT, inDim, outDim, gw.weight, gw.bias, dx);
    const lnBack = (
      dy: Float32Array,
      x: Float32Array,
      mean: Float32Array,
      rstd: Float32Array,
      lw: LayerNormWeights,
      gw: LayerNormWeights,
      dx: Float32Array,
    ) => layerNormBackward(dy, x, mean, rstd, lw.weight, BT, C, dx, gw.weight, gw.bias);

    const dLogits = a.probs; // the softmax is not needed any more: reuse its buffer
    crossEntropyBackward(a.probs, a.targets, BT, V, dLogits); // (BT, V)
    linearBackward(dLogits, a.lnF, w.wte, BT, C, V, g.wte, null, a.dTmp); // (BT, C); dwte (V, C) of the head
    lnBack(a.dTmp, a.resid[nLayers]!, a.lnFMean, a.lnFRstd, w.lnF, g.lnF, a.dResid); // (BT, C)
    for (let l = nLayers - 1; l >= 0; l--) {
      const p = w.blocks[l]!;
      const gp = g.blocks[l]!;
      const s = a.blocks[l]!;
      // MLP: resid[l+1] = resid2 + mlpProj(gelu(fc(ln2(resid2))))
      linBack(a.dResid, s.fcAct, p.mlpProj, gp.mlpProj, H, C, a.dH); // (BT, H)
      geluBackward(s.fcPre, a.dH, a.dH); // (BT, H)
      linBack(a.dH, s.ln2, p.fc, gp.fc, C, H, a.dTmp); // (BT, C)
      lnBack(a.dTmp, s.resid2, s.ln2Mean, s.ln2Rstd, p.ln2, gp.ln2, a.dTmp2); // (BT, C)
      add(a.dResid, a.dTmp2, a.dResid); // (BT, C): d resid2
      // Attention: resid2 = resid[l] + attnProj(attention(ln1(resid[l])))
      linBack(a.dResid, s.attY, p.attnProj, gp.attnProj, C, C, a.dTmp); // (BT, C)
      for (let b = 0; b < B; b++) {
        const saved = heads(s.q, s.k, s.v, b); // (nHeads, T, hd) x3
        const dHeads = heads(a.dq, a.dk, a.dv, b); // (nHeads, T, hd) x3
        attentionBackward(seq(a.dTmp, b), saved, probsOf(s.probs, b), dims, dHeads, scratch);
        mergeHeadGrads(dHeads, dims, scale, seq(a.dqkv, b, 3 * C)); // (T, 3C)
      }
      linBack(a.dqkv, s.ln1, p.qkv, gp.qkv, C, 3 * C, a.dTmp); // (BT, C)
      lnBack(a.dTmp, a.resid[l]!, s.ln1Mean, s.ln1Rstd, p.ln1, gp.ln1, a.dTmp2); // (BT, C)
      add(a.dResid, a.dTmp2, a.dResid); // (BT, C): d resid[l]
    }
    g.wpe.fill(0);
    embedBackward(a.dResid, a.tokens, BT, T, C, g.wte, g.wpe); // adds to the head's dwte
  }
}
