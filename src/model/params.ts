import type { Tensor } from '../core/tensor.ts';
import { type GptConfig, mlpDim } from './config.ts';
import { ParamBufferSizeError, UnknownParameterError } from './errors.ts';
import { allocBuffer, freeBuffer, type Placement } from './memory.ts';
import { Rng } from './rng.ts';

/** How a parameter tensor starts: N(0, std²), all zeros, or all ones. */
export type ParamInit = { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' };

/** One named parameter: its Hugging Face GPT-2 name, Concord shape (matrices `(out, in)`), place in the flat buffer. */
export type ParamSpec = {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
  readonly init: ParamInit;
  /** True for Conv1D weights, which Hugging Face stores transposed `(in, out)`. */
  readonly hfTransposed: boolean;
};

/** A weight matrix `(out, in)` and its bias `(out)`. */
export type LinearWeights = { readonly weight: Float32Array; readonly bias: Float32Array };
/** Layer-norm gain and shift, each `(C)`. */
export type LayerNormWeights = { readonly weight: Float32Array; readonly bias: Float32Array };

/** The parameters of one pre-LN transformer block. */
export type BlockWeights = {
  readonly ln1: LayerNormWeights;
  /** c_attn: `(3C, C)`, rows are q, then k, then v. */
  readonly qkv: LinearWeights;
  /** attn.c_proj: `(C, C)`. */
  readonly attnProj: LinearWeights;
  readonly ln2: LayerNormWeights;
  /** mlp.c_fc: `(4C, C)`. */
  readonly fc: LinearWeights;
  /** mlp.c_proj: `(C, 4C)`. */
  readonly mlpProj: LinearWeights;
};

/** Every parameter of the model as views into one flat buffer. */
export type GptWeights = {
  /** Token embedding `(V, C)`, also the tied output head. */
  readonly wte: Float32Array;
  /** Position embedding `(contextLength, C)`. */
  readonly wpe: Float32Array;
  readonly blocks: readonly BlockWeights[];
  readonly lnF: LayerNormWeights;
};

/** Standard deviation of GPT-2's weight init. */
export const INIT_STD = 0.02;

/**
 * The parameters of a config in canonical order (Hugging Face's): wte, wpe,
 * then per block ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj,
 * then ln_f. Residual projections start with std 0.02/sqrt(2·nLayers), as in GPT-2.
 */
export function gptParamSpecs(config: GptConfig): ParamSpec[] {
  const C = config.dModel;
  const H = mlpDim(config);
  const projStd = INIT_STD / Math.sqrt(2 * config.nLayers);
  const specs: ParamSpec[] = [];
  let offset = 0;
  const push = (name: string, shape: number[], init: ParamInit, hfTransposed = false) => {
    const size = shape.reduce((a, b) => a * b, 1);
    specs.push({ name, shape, offset, size, init, hfTransposed });
    offset += size;
  };
  const normal = (std: number): ParamInit => ({ kind: 'normal', std });
  const linear = (name: string, out: number, inDim: number, std: number) => {
    push(`${name}.weight`, [out, inDim], normal(std), true);
    push(`${name}.bias`, [out], { kind: 'zeros' });
  };
  const norm = (name: string) => {
    push(`${name}.weight`, [C], { kind: 'ones' });
    push(`${name}.bias`, [C], { kind: 'zeros' });
  };
  push('wte.weight', [config.vocabSize, C], normal(INIT_STD));
  push('wpe.weight', [config.contextLength, C], normal(INIT_STD));
  for (let i = 0; i < config.nLayers; i++) {
    norm(`h.${i}.ln_1`);
    linear(`h.${i}.attn.c_attn`, 3 * C, C, INIT_STD);
    linear(`h.${i}.attn.c_proj`, C, C, projStd);
    norm(`h.${i}.ln_2`);
    linear(`h.${i}.mlp.c_fc`, H, C, INIT_STD);
    linear(`h.${i}.mlp.c_proj`, C, H, projStd);
  }
  norm('ln_f');
  return specs;
}

/** Total number of scalar parameters of a config. */
export function countParams(config: GptConfig): number {
  const specs = gptParamSpecs(config);
  const last = specs[specs.length - 1] as ParamSpec;
  return last.offset + last.size;
}

/**
 * The parameters (or their gradients, or optimizer moments: anything with the
 * same layout) of one model: a flat Float32Array and structured views into it.
 */
export class GptParams {
  readonly config: GptConfig;
  readonly specs: readonly ParamSpec[];
  readonly flat: Float32Array;
  readonly weights: GptWeights;
  readonly #byName: ReadonlyMap<string, ParamSpec>;

  /** Wraps a flat buffer of length countParams(config) (a new zero buffer if omitted). */
  constructor(config: GptConfig, flat?: Float32Array) {
    this.config = config;
    this.specs = gptParamSpecs(config);
    const total = countParams(config);
    this.flat = flat ?? new Float32Array(total);
    if (this.flat.length !== total) {
      throw new ParamBufferSizeError(this.flat.length, total);
    }
    this.#byName = new Map(this.specs.map((s) => [s.name, s]));
    const v = (name: string) => this.view(name);
    const pair = (name: string) => ({ weight: v(`${name}.weight`), bias: v(`${name}.bias`) });
    const blocks: BlockWeights[] = [];
    for (let i = 0; i < config.nLayers; i++) {
      blocks.push({
        ln1: pair(`h.${i}.ln_1`),
        qkv: pair(`h.${i}.attn.c_attn`),
        attnProj: pair(`h.${i}.attn.c_proj`),
        ln2: pair(`h.${i}.ln_2`),
        fc: pair(`h.${i}.mlp.c_fc`),
        mlpProj: pair(`h.${i}.mlp.c_proj`),
      });
    }
    this.weights = { wte: v('wte.weight'), wpe: v('wpe.weight'), blocks, lnF: pair('ln_f') };
  }

  /** All-zero parameters (or gradients) of a config, placed on the JS heap or in kernel memory. */
  static zeros(config: GptConfig, placement: Placement = 'js'): GptParams {
    return new GptParams(config, allocBuffer(countParams(config), placement));
  }

  /** Deterministic GPT-2 init: tensor i is drawn from `new Rng(seed, i)`. Placement does not change the values. */
  static init(config: GptConfig, seed: number, placement: Placement = 'js'): GptParams {
    const params = GptParams.zeros(config, placement);
    params.specs.forEach((spec, i) => {
      const view = params.view(spec.name);
      if (spec.init.kind === 'normal') new Rng(seed, i).fillNormal(view, spec.init.std);
      else if (spec.init.kind === 'ones') view.fill(1);
    });
    return params;
  }

  /** The spec of a parameter, or undefined if the model has none of that name. */
  spec(name: string): ParamSpec | undefined {
    return this.#byName.get(name);
  }

  /** The view of one named parameter; throws UnknownParameterError for a name the model lacks. */
  view(name: string): Float32Array {
    const spec = this.#byName.get(name);
    if (!spec) throw new UnknownParameterError(name);
    return this.flat.subarray(spec.offset, spec.offset + spec.size);
  }

  /** The parameters as named f32 tensors in Concord layout (views, not copies). */
  toTensors(): Record<string, Tensor<'f32'>> {
    const out: Record<string, Tensor<'f32'>> = {};
    for (const spec of this.specs)
      out[spec.name] = { dtype: 'f32', shape: spec.shape, data: this.view(spec.name) };
    return out;
  }

  /** A deep copy with its own flat buffer. */
  clone(placement: Placement = 'js'): GptParams {
    const copy = GptParams.zeros(this.config, placement);
    copy.flat.set(this.flat);
    return copy;
  }

  /** Frees the flat buffer if it lives in kernel memory; the params must not be used afterwards. */
  dispose(): void {
    freeBuffer(this.flat);
  }
}
