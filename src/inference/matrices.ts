import type { GptConfig, GptParams, MatrixName } from '../model/index.ts';
import { mlpDim } from '../model/index.ts';

/** One weight matrix a model version is served by: `rows` outputs of `cols` inputs, stored (rows, cols). */
export type MatrixSpec = {
  /** Parameter name of the weight, e.g. `h.3.mlp.c_fc.weight`, or `wte.weight` for the tied head. */
  readonly name: string;
  /** Block index, or -1 for the output head. */
  readonly layer: number;
  readonly matrix: MatrixName;
  readonly rows: number;
  readonly cols: number;
};

/** Every matrix product of a GPT decoding step, in the order the generator asks for them. */
export function gptMatrices(config: GptConfig): MatrixSpec[] {
  const C = config.dModel;
  const H = mlpDim(config);
  const out: MatrixSpec[] = [];
  const add = (layer: number, matrix: MatrixName, rows: number, cols: number) =>
    out.push({ name: layer < 0 ? 'wte.weight' : `h.${layer}.${matrix}.weight`, layer, matrix, rows, cols });
  for (let l = 0; l < config.nLayers; l++) {
    add(l, 'attn.c_attn', 3 * C, C);
    add(l, 'attn.c_proj', C, C);
    add(l, 'mlp.c_fc', H, C);
    add(l, 'mlp.c_proj', C, H);
  }
  add(-1, 'lm_head', config.vocabSize, C);
  return out;
}

/** The weight (rows, cols) and bias (rows, or null for the head) of a matrix, as views into the params. */
export function matrixWeights(
  params: GptParams,
  spec: MatrixSpec,
): { weight: Float32Array; bias: Float32Array | null } {
  if (spec.layer < 0) return { weight: params.weights.wte, bias: null };
  return { weight: params.view(spec.name), bias: params.view(spec.name.replace(/\.weight$/, '.bias')) };
}
