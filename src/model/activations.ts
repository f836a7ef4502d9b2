import { type GptConfig, headDim, mlpDim } from './config.ts';
import { allocBuffer, freeBuffer, type Placement } from './memory.ts';

/** The saved tensors of one transformer block, needed by the backward pass. */
export type BlockActivations = {
  readonly ln1: Float32Array; // (BT, C)
  readonly ln1Mean: Float32Array; // (BT)
  readonly ln1Rstd: Float32Array; // (BT)
  readonly q: Float32Array; // (B, nHeads, T, headDim), pre-scaled by 1/sqrt(headDim)
  readonly k: Float32Array; // (B, nHeads, T, headDim)
  readonly v: Float32Array; // (B, nHeads, T, headDim)
  readonly probs: Float32Array; // (B, nHeads, T, T), zero above the diagonal
  readonly attY: Float32Array; // (BT, C), heads side by side
  readonly resid2: Float32Array; // (BT, C), after the attention residual
  readonly ln2: Float32Array; // (BT, C)
  readonly ln2Mean: Float32Array; // (BT)
  readonly ln2Rstd: Float32Array; // (BT)
  readonly fcPre: Float32Array; // (BT, H), before GELU
  readonly fcAct: Float32Array; // (BT, H), after GELU
};

/**
 * Every buffer the forward and backward passes use for B sequences of T
 * tokens, allocated once and reused by every step (no allocation per step).
 */
export class GptActivations {
  readonly batchSize: number;
  readonly seqLen: number;
  /** resid[l] is the input of block l; resid[nLayers] the input of the final layer norm. (BT, C) each. */
  readonly resid: readonly Float32Array[];
  readonly blocks: readonly BlockActivations[];
  readonly lnF: Float32Array; // (BT, C)
  readonly lnFMean: Float32Array; // (BT)
  readonly lnFRstd: Float32Array; // (BT)
  readonly logits: Float32Array; // (BT, V)
  /** Softmax of the logits after loss(); overwritten by the logit gradient in backward(). (BT, V) */
  readonly probs: Float32Array;
  readonly pTarget: Float32Array; // (BT)
  readonly tokens: Int32Array; // (BT)
  readonly targets: Int32Array; // (BT)
  // Scratch shared by all blocks.
  readonly qkv: Float32Array; // (BT, 3C)
  readonly proj: Float32Array; // (BT, C)
  readonly scores: Float32Array; // (T, T)
  readonly yHead: Float32Array; // (T, headDim)
  readonly dResid: Float32Array; // (BT, C)
  readonly dTmp: Float32Array; // (BT, C)
  readonly dTmp2: Float32Array; // (BT, C)
  readonly dH: Float32Array; // (BT, H)
  readonly dqkv: Float32Array; // (BT, 3C)
  readonly dq: Float32Array; // (B, nHeads, T, headDim)
  readonly dk: Float32Array; // (B, nHeads, T, headDim)
  readonly dv: Float32Array; // (B, nHeads, T, headDim)
  readonly dyHead: Float32Array; // (T, headDim)
  readonly dProbs: Float32Array; // (T, T)
  readonly dScores: Float32Array; // (T, T)

  readonly #buffers: Float32Array[] = [];

  /** Allocates the buffers of `batchSize` sequences of `seqLen` tokens. */
  constructor(config: GptConfig, batchSize: number, seqLen: number, placement: Placement = 'js') {
    const BT = batchSize * seqLen;
    const C = config.dModel;
    const H = mlpDim(config);
    const f = (n: number) => {
      const buf = allocBuffer(n, placement);
      this.#buffers.push(buf);
      return buf;
    };
    this.batchSize = batchSize;
    this.seqLen = seqLen;
    this.resid = Array.from({ length: config.nLayers + 1 }, () => f(BT * C));
    this.blocks = Array.from({ length: config.nLayers }, () => ({
      ln1: f(BT * C),
      ln1Mean: f(BT),
      ln1Rstd: f(BT),
      q: f(BT * C),
      k: f(BT * C),
      v: f(BT * C),
      probs: f(batchSize * config.nHeads * seqLen * seqLen),
      attY: f(BT * C),
      resid2: f(BT * C),
      ln2: f(BT * C),
      ln2Mean: f(BT),
      ln2Rstd: f(BT),
      fcPre: f(BT * H),
      fcAct: f(BT * H),
    }));
    this.lnF = f(BT * C);
    this.lnFMean = f(BT);
    this.lnFRstd = f(BT);
    this.logits = f(BT * config.vocabSize);
    this.probs = f(BT * config.vocabSize);
    this.pTarget = f(BT);
    this.tokens = new Int32Array(BT);
    this.targets = new Int32Array(BT);
    this.qkv = f(BT * 3 * C);
    this.proj = f(BT * C);
    this.scores = f(seqLen * seqLen);
    this.dResid = f(BT * C);
    this.dTmp = f(BT * C);
    this.dTmp2 = f(BT * C);
    this.dH = f(BT * H);
    this.dqkv = f(BT * 3 * C);
    this.dq = f(BT * C);
    this.dk = f(BT * C);
    this.dv = f(BT * C);
    this.yHead = f(seqLen * headDim(config));
    this.dyHead = f(seqLen * headDim(config));
    this.dProbs = f(seqLen * seqLen);
    this.dScores = f(seqLen * seqLen);
  }

  /** Frees every buffer that lives in kernel memory; the workspace must not be used afterwards. */
  dispose(): void {
    for (const buf of this.#buffers) freeBuffer(buf);
    this.#buffers.length = 0;
  }
}
