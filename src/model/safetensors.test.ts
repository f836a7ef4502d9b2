import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { f32ToF16 } from '../core/halfFloat.ts';
import { decodeSafetensors, encodeSafetensors } from '../core/safetensors.ts';
import type { Tensor } from '../core/tensor.ts';
import { makeGptConfig, sameConfig } from './config.ts';
import { GptParams, gptParamSpecs } from './params.ts';
import { exportGpt, GPT_CONFIG_METADATA_KEY, importGpt } from './safetensors.ts';

const config = makeGptConfig({ vocabSize: 30, contextLength: 8, dModel: 64, nHeads: 4, nLayers: 2 });

/** A Hugging Face-style checkpoint: HF names and (in, out) Conv1D weights, value = 1000·row + col + tensor index. */
function hfTensors(prefix = ''): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  gptParamSpecs(config).forEach((spec, k) => {
    const shape = spec.hfTransposed ? [spec.shape[1]!, spec.shape[0]!] : [...spec.shape];
    const cols = shape.length === 2 ? shape[1]! : shape[0]!;
    const data = new Float32Array(spec.size);
    for (let i = 0; i < data.length; i++) data[i] = 1000 * Math.floor(i / cols) + (i % cols) + k / 64;
    out[prefix + spec.name] = { dtype: 'f32', shape, data };
  });
  return out;
}

function withoutKey(tensors: Record<string, Tensor>, key: string): Record<string, Tensor> {
  const copy = { ...tensors };
  delete copy[key];
  return copy;
}

describe('safetensors import/export', () => {
  it('export then import round-trips params and config, with deterministic bytes', () => {
    const params = GptParams.init(config, 5);
    const bytes = exportGpt(params, { note: 'x' });
    assert.deepEqual(exportGpt(params, { note: 'x' }), bytes);
    const back = importGpt(bytes);
    assert.ok(sameConfig(back.config, config));
    assert.deepEqual(back.params.flat, params.flat);
    assert.equal(back.metadata.note, 'x');
    assert.equal(JSON.parse(back.metadata[GPT_CONFIG_METADATA_KEY]!).dModel, 64);
  });

  it('reads Hugging Face names and transposes Conv1D weights from (in, out) to (out, in)', () => {
    const tensors = hfTensors('transformer.');
    const lm = tensors['transformer.wte.weight']!;
    tensors['lm_head.weight'] = { ...lm, data: lm.data.slice() };
    tensors['transformer.h.0.attn.bias'] = { dtype: 'f32', shape: [1, 1, 8, 8], data: new Float32Array(64) };
    tensors['h.1.attn.masked_bias'] = { dtype: 'f32', shape: [], data: new Float32Array([-1e4]) };
    const { params, config: inferred } = importGpt(encodeSafetensors(tensors), { nHeads: 4 });
    assert.ok(sameConfig(inferred, config));
    // c_attn: HF (C, 3C) entry [i][j] is Concord (3C, C) entry [j][i].
    const w = params.view('h.1.attn.c_attn.weight');
    const hf = tensors['transformer.h.1.attn.c_attn.weight']!.data as Float32Array;
    for (const [i, j] of [
      [0, 0],
      [3, 100],
      [63, 191],
    ] as const) {
      assert.equal(w[j * 64 + i], hf[i * 192 + j]);
    }
    assert.deepEqual(params.view('wte.weight'), tensors['transformer.wte.weight']!.data);
    // Exporting writes the Hugging Face layout back.
    const again = decodeSafetensors(exportGpt(params)).tensors;
    assert.deepEqual(again['h.1.mlp.c_fc.weight']!.shape, [64, 256]);
    assert.deepEqual(again['h.1.mlp.c_fc.weight']!.data, tensors['transformer.h.1.mlp.c_fc.weight']!.data);
  });

  it('infers nHeads = dModel / 64 without metadata, and widens f16 exactly', () => {
    const tensors = hfTensors();
    const wte = tensors['wte.weight']!;
    const half = new Uint16Array(wte.data.length);
    for (let i = 0; i < half.length; i++) half[i] = f32ToF16(i / 8);
    tensors['wte.weight'] = { dtype: 'f16', shape: wte.shape, data: half };
    const { params, config: inferred } = importGpt(encodeSafetensors(tensors));
    assert.equal(inferred.nHeads, 1);
    assert.equal(params.view('wte.weight')[17], 17 / 8);
  });

  it('rejects incomplete, foreign, misshapen, corrupt and truncated files with named errors', () => {
    const ok = hfTensors();
    const enc = (t: Record<string, Tensor>, meta?: Record<string, string>) => encodeSafetensors(t, meta);
    assert.throws(() => importGpt(enc(withoutKey(ok, 'h.1.ln_2.bias'))), { name: 'MissingTensorError' });
    assert.throws(() => importGpt(enc(withoutKey(ok, 'wte.weight'))), { name: 'MissingTensorError' });
    const extra = {
      ...ok,
      'h.0.attn.rotary': { dtype: 'f32', shape: [1], data: new Float32Array(1) } as Tensor,
    };
    assert.throws(() => importGpt(enc(extra)), { name: 'UnexpectedTensorError' });
    const dup = { ...ok, 'transformer.ln_f.bias': ok['ln_f.bias']! };
    assert.throws(() => importGpt(enc(dup)), { name: 'UnexpectedTensorError' });
    const c = ok['h.0.attn.c_proj.weight']!;
    const wrong = { ...ok, 'h.0.attn.c_proj.weight': { ...c, shape: [32, 128] } };
    assert.throws(() => importGpt(enc(wrong)), { name: 'TensorShapeMismatchError' });
    const ints = { ...ok, 'ln_f.bias': { dtype: 'i32', shape: [64], data: new Int32Array(64) } as Tensor };
    assert.throws(() => importGpt(enc(ints)), { name: 'UnsupportedModelDtypeError' });
    const untied = { ...ok, 'lm_head.weight': { ...ok['wte.weight']!, data: new Float32Array(30 * 64) } };
    assert.throws(() => importGpt(enc(untied)), { name: 'UntiedOutputHeadError' });
    assert.throws(() => importGpt(enc(ok, { [GPT_CONFIG_METADATA_KEY]: '{not json' })), {
      name: 'InvalidModelMetadataError',
    });
    assert.throws(() => importGpt(enc(ok, { [GPT_CONFIG_METADATA_KEY]: '{"dModel":64}' })), {
      name: 'InvalidModelMetadataError',
    });
    const bigger = JSON.stringify({ ...config, nLayers: 3 });
    assert.throws(() => importGpt(enc(ok, { [GPT_CONFIG_METADATA_KEY]: bigger })), {
      name: 'MissingTensorError',
    });
    assert.throws(() => importGpt(enc(ok), { nHeads: 5 }), { name: 'InvalidGptConfigError' });

    const bytes = exportGpt(GptParams.init(config, 1));
    assert.throws(
      () => importGpt(bytes.subarray(0, bytes.length - 4)),
      (err: Error) => err.name.startsWith('Safetensors'),
    );
    assert.throws(() => importGpt(bytes.subarray(0, 5)), { name: 'SafetensorsTooShortError' });
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat32(nan.length - 4, Number.NaN, true);
    assert.throws(() => importGpt(nan), { name: 'SafetensorsNonFiniteError' });
  });
});
