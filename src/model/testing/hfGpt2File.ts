/**
 * TEST-ONLY: writes a GPT-2 checkpoint the way Hugging Face's `model.safetensors`
 * lays it out (names `wte.weight`, `h.N.attn.c_attn.weight`, ...; Conv1D weights
 * stored `(in, out)`; the causal-mask buffers `h.N.attn.bias`; no config
 * metadata) with small seeded random weights, independently of exportGpt.
 */
import { encodeSafetensors } from '../../core/safetensors.ts';
import type { Tensor } from '../../core/tensor.ts';

/** The shape of the file: GPT-2 with 64-wide heads, so nHeads = d / 64 when read back. */
export type HfGpt2Shape = { vocab: number; d: number; context: number; layers: number };

/** Seeded values spread like GPT-2's init (a sum of three uniforms, ±0.06), or `fill` everywhere. */
function tensor(shape: number[], seed: number, fill?: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    if (fill !== undefined) {
      data[i] = fill;
      continue;
    }
    let u = 0;
    for (let k = 0; k < 3; k++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      u += s / 2 ** 32;
    }
    data[i] = (u - 1.5) * 0.04;
  }
  return { dtype: 'f32', shape, data };
}

/** The tensors of the file by Hugging Face name; `edit` may change them before encoding. */
export function hfGpt2Tensors({ vocab, d, context, layers }: HfGpt2Shape): Record<string, Tensor> {
  const t: Record<string, Tensor> = {
    'wte.weight': tensor([vocab, d], 1),
    'wpe.weight': tensor([context, d], 2),
    'ln_f.weight': tensor([d], 0, 1),
    'ln_f.bias': tensor([d], 0, 0),
  };
  for (let l = 0; l < layers; l++) {
    const h = `h.${l}`;
    Object.assign(t, {
      [`${h}.ln_1.weight`]: tensor([d], 0, 1),
      [`${h}.ln_1.bias`]: tensor([d], 0, 0),
      [`${h}.attn.bias`]: tensor([1, 1, context, context], 0, 1),
      [`${h}.attn.c_attn.weight`]: tensor([d, 3 * d], 10 + l),
      [`${h}.attn.c_attn.bias`]: tensor([3 * d], 20 + l),
      [`${h}.attn.c_proj.weight`]: tensor([d, d], 30 + l),
      [`${h}.attn.c_proj.bias`]: tensor([d], 40 + l),
      [`${h}.ln_2.weight`]: tensor([d], 0, 1),
      [`${h}.ln_2.bias`]: tensor([d], 0, 0),
      [`${h}.mlp.c_fc.weight`]: tensor([d, 4 * d], 50 + l),
      [`${h}.mlp.c_fc.bias`]: tensor([4 * d], 60 + l),
      [`${h}.mlp.c_proj.weight`]: tensor([4 * d, d], 70 + l),
      [`${h}.mlp.c_proj.bias`]: tensor([d], 80 + l),
    });
  }
  return t;
}

/** The safetensors bytes of {@link hfGpt2Tensors}, after `edit`. */
export function hfGpt2File(
  shape: HfGpt2Shape,
  edit: (tensors: Record<string, Tensor>) => void = () => undefined,
): Uint8Array {
  const t = hfGpt2Tensors(shape);
  edit(t);
  return encodeSafetensors(t, { format: 'pt' });
}

/**
 * The file with one NaN weight (`h.0.mlp.c_fc.bias[7]`): the encoder refuses
 * NaN, so a marker value is written and its bytes overwritten.
 */
export function hfGpt2FileWithNaN(shape: HfGpt2Shape): Uint8Array {
  const marker = 1234.5;
  const bytes = hfGpt2File(shape, (t) => {
    (t['h.0.mlp.c_fc.bias']?.data as Float32Array)[7] = marker;
  });
  const at = Buffer.from(bytes).indexOf(new Uint8Array(Float32Array.of(marker).buffer));
  bytes.set(new Uint8Array(Float32Array.of(Number.NaN).buffer), at);
  return bytes;
}
