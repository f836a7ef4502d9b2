/**
 * TEST-ONLY reference: a plain GPT-2 forward pass written independently of
 * the model code, with nested loops over f64 numbers and the engine's
 * Math.exp/Math.tanh/Math.log (allowed here because nothing of this reaches
 * consensus). Tests compare the real model and its gradients against it.
 */
import type { GptConfig } from '../config.ts';

/** Reads parameter `name` (Concord layout: matrices `(out, in)`) as f64 numbers. */
export type ParamReader = (name: string) => ArrayLike<number>;

type Matrix = number[][];

function layerNorm(x: Matrix, w: ArrayLike<number>, b: ArrayLike<number>, eps: number): Matrix {
  return x.map((row) => {
    const mean = row.reduce((a, v) => a + v, 0) / row.length;
    const variance = row.reduce((a, v) => a + (v - mean) * (v - mean), 0) / row.length;
    const r = 1 / Math.sqrt(variance + eps);
    return row.map((v, c) => (v - mean) * r * (w[c] as number) + (b[c] as number));
  });
}

function linear(x: Matrix, w: ArrayLike<number>, b: ArrayLike<number> | null, outDim: number): Matrix {
  return x.map((row) => {
    const out: number[] = [];
    for (let o = 0; o < outDim; o++) {
      let s = b ? (b[o] as number) : 0;
      for (let i = 0; i < row.length; i++) s += (w[o * row.length + i] as number) * (row[i] as number);
      out.push(s);
    }
    return out;
  });
}

function gelu(v: number): number {
  return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
}

/** Logits (T, V) of one sequence. */
export function naiveForward(config: GptConfig, p: ParamReader, tokens: readonly number[]): Matrix {
  return linear(naiveHidden(config, p, tokens), p('wte.weight'), null, config.vocabSize);
}

/** Final hidden states (T, C) of one sequence: the output of ln_f. */
export function naiveHidden(config: GptConfig, p: ParamReader, tokens: readonly number[]): Matrix {
  const { dModel: C, nHeads, layerNormEps: eps } = config;
  const hd = C / nHeads;
  const T = tokens.length;
  const wte = p('wte.weight');
  const wpe = p('wpe.weight');
  let x: Matrix = tokens.map((tok, t) =>
    Array.from({ length: C }, (_, c) => (wte[tok * C + c] as number) + (wpe[t * C + c] as number)),
  );
  for (let l = 0; l < config.nLayers; l++) {
    const n = (s: string) => p(`h.${l}.${s}`);
    const h = layerNorm(x, n('ln_1.weight'), n('ln_1.bias'), eps);
    const qkv = linear(h, n('attn.c_attn.weight'), n('attn.c_attn.bias'), 3 * C);
    const y: Matrix = Array.from({ length: T }, () => new Array<number>(C).fill(0));
    for (let head = 0; head < nHeads; head++) {
      for (let t = 0; t < T; t++) {
        const scores: number[] = [];
        for (let j = 0; j <= t; j++) {
          let s = 0;
          for (let d = 0; d < hd; d++) s += qkv[t]![head * hd + d]! * qkv[j]![C + head * hd + d]!;
          scores.push(s / Math.sqrt(hd));
        }
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, v) => a + v, 0);
        for (let j = 0; j <= t; j++) {
          for (let d = 0; d < hd; d++) y[t]![head * hd + d]! += (e[j]! / z) * qkv[j]![2 * C + head * hd + d]!;
        }
      }
    }
    const a = linear(y, n('attn.c_proj.weight'), n('attn.c_proj.bias'), C);
    x = x.map((row, t) => row.map((v, c) => v + a[t]![c]!));
    const h2 = layerNorm(x, n('ln_2.weight'), n('ln_2.bias'), eps);
    const f = linear(h2, n('mlp.c_fc.weight'), n('mlp.c_fc.bias'), config.mlpRatio * C).map((r) =>
      r.map(gelu),
    );
    const m = linear(f, n('mlp.c_proj.weight'), n('mlp.c_proj.bias'), C);
    x = x.map((row, t) => row.map((v, c) => v + m[t]![c]!));
  }
  return layerNorm(x, p('ln_f.weight'), p('ln_f.bias'), eps);
}

/** Mean next-token cross-entropy over `batch` sequences laid end to end. */
export function naiveLoss(
  config: GptConfig,
  p: ParamReader,
  tokens: readonly number[],
  targets: readonly number[],
  batch: number,
): number {
  const T = tokens.length / batch;
  let total = 0;
  for (let b = 0; b < batch; b++) {
    const logits = naiveForward(config, p, tokens.slice(b * T, (b + 1) * T));
    logits.forEach((row, t) => {
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      total += lse - row[targets[b * T + t]!]!;
    });
  }
  return total / tokens.length;
}
