/**
 * Benchmark of one training step of the network's char model (CHAR_SMALL,
 * batch 4 × 128 tokens): Concord's deterministic model (loss, backward,
 * AdamW on the dispatching kernels, buffers in kernel memory) against the same architecture, same
 * initial weights and same batch in TensorFlow.js (`@tensorflow/tfjs`,
 * autodiff + Adam, on its WASM SIMD backend and its pure-JS CPU backend).
 * Steps alternate between the contenders; the table shows median ms per step,
 * training tokens/s and the speed ratio ours / baseline. Also reports KV-cache
 * decoding tokens/s with the weights on the JS heap and in kernel memory.
 * Run: `node bin/run.mjs bench/model.ts [steps] [batch]` (defaults 6, 4).
 */

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { CHAR_SMALL } from '../src/model/config.ts';
import { Gpt } from '../src/model/gpt.ts';
import { GptParams } from '../src/model/params.ts';
import { Rng } from '../src/model/rng.ts';
import { makeBatch, sampleBatch, Trainer } from '../src/model/train.ts';

const steps = Number(process.argv[2] ?? 6);
const B = Number(process.argv[3] ?? 4);
const config = CHAR_SMALL;
const T = config.contextLength;
const { dModel: C, nHeads, nLayers, vocabSize: V } = config;
const hd = C / nHeads;

const data = new Int32Array(50_000);
const dataRng = new Rng(1);
for (let i = 0; i < data.length; i++) data[i] = dataRng.below(V);
const batch = sampleBatch(data, new Rng(2), makeBatch(B, T));
const init = GptParams.init(config, 1);

function elapsedMs(fn: () => unknown): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The same GPT in TensorFlow.js, its variables initialized from Concord's parameters. */
function tfTrainer(params: GptParams): { step: () => number } {
  const vars = new Map<string, tf.Variable>();
  for (const spec of params.specs) {
    vars.set(
      spec.name,
      tf.variable(tf.tensor(params.view(spec.name).slice(), [...spec.shape]), true, spec.name),
    );
  }
  const v = (name: string) => vars.get(name)!;
  // One-hot matmul instead of gather: the WASM backend has no gradient kernel for gather.
  const tokensOneHot = tf.oneHot(tf.tensor1d(batch.tokens, 'int32'), V).toFloat() as tf.Tensor2D;
  const targets = tf.oneHot(tf.tensor1d(batch.targets, 'int32'), V);
  const mask = tf.linalg.bandPart(tf.ones([T, T]), -1, 0);
  const negInf = tf.mul(tf.sub(1, mask), -1e9);
  const layerNorm = (x: tf.Tensor2D, name: string) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(
      tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, config.layerNormEps))), v(`${name}.weight`)),
      v(`${name}.bias`),
    ) as tf.Tensor2D;
  };
  const linear = (x: tf.Tensor2D, name: string) =>
    tf.add(tf.matMul(x, v(`${name}.weight`), false, true), v(`${name}.bias`)) as tf.Tensor2D;
  const gelu = (x: tf.Tensor) =>
    tf.mul(
      tf.mul(0.5, x),
      tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))),
    );
  const heads = (x: tf.Tensor2D) => tf.transpose(tf.reshape(x, [B, T, nHeads, hd]), [0, 2, 1, 3]);
  const loss = () => {
    let x = tf
      .add(tf.reshape(tf.matMul(tokensOneHot, v('wte.weight')), [B, T, C]), v('wpe.weight'))
      .reshape([B * T, C]) as tf.Tensor2D;
    for (let l = 0; l < nLayers; l++) {
      const qkv = linear(layerNorm(x, `h.${l}.ln_1`), `h.${l}.attn.c_attn`);
      const [q, k, val] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const scores = tf.add(tf.mul(tf.matMul(heads(q), heads(k), false, true), 1 / Math.sqrt(hd)), negInf);
      const y = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), heads(val)), [0, 2, 1, 3]), [
        B * T,
        C,
      ]) as tf.Tensor2D;
      x = tf.add(x, linear(y, `h.${l}.attn.c_proj`));
      const h = gelu(linear(layerNorm(x, `h.${l}.ln_2`), `h.${l}.mlp.c_fc`)) as tf.Tensor2D;
      x = tf.add(x, linear(h, `h.${l}.mlp.c_proj`));
    }
    const logits = tf.matMul(layerNorm(x, 'ln_f'), v('wte.weight'), false, true);
    return tf.losses.softmaxCrossEntropy(targets, logits) as tf.Scalar;
  };
  const optimizer = tf.train.adam(1e-3, 0.9, 0.95, 1e-8);
  return {
    step: () =>
      tf.tidy(() => {
        const value = optimizer.minimize(loss, true, [...vars.values()])!;
        return value.dataSync()[0]!;
      }),
  };
}

const ours = new Trainer(init.clone('kernel'), { lr: 1e-3, weightDecay: 0 }, 'kernel');
const oursStep = () => ours.step(batch).loss;

const wasmDir = dirname(
  createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
);
setWasmPaths(`${join(wasmDir, '/')}`);
const results: string[] = [];
let sanity = '';
for (const backend of ['wasm', 'cpu']) {
  await tf.setBackend(backend);
  await tf.ready();
  const theirs = tfTrainer(init);
  const l0 = theirs.step();
  const o0 = backend === 'wasm' ? oursStep() : Number.NaN;
  if (backend === 'wasm') sanity = `first-step loss: ours ${o0.toFixed(5)}, tfjs ${l0.toFixed(5)}`;
  const n = backend === 'cpu' ? Math.min(steps, 2) : steps;
  const ourMs: number[] = [];
  const theirMs: number[] = [];
  for (let i = 0; i < n; i++) {
    ourMs.push(elapsedMs(oursStep));
    theirMs.push(elapsedMs(theirs.step));
  }
  const o = median(ourMs);
  const t = median(theirMs);
  const tps = (ms: number) => ((B * T * 1000) / ms).toFixed(0);
  results.push(
    `| tfjs ${backend.padEnd(4)} | ${o.toFixed(0).padStart(6)} | ${tps(o).padStart(6)} | ${t.toFixed(0).padStart(6)} | ${tps(t).padStart(6)} | ${(t / o).toFixed(2)} |`,
  );
  tf.disposeVariables();
}

const decode = (placement: 'js' | 'kernel') => {
  const params = init.clone(placement);
  const gen = new Gpt(params, { placement }).generator();
  const ms = elapsedMs(() => {
    for (let i = 0; i < T; i++) gen.step(batch.tokens[i]!);
  });
  gen.dispose();
  params.dispose();
  return `${placement}: ${((T * 1000) / ms).toFixed(0)} tokens/s`;
};
decode('kernel');
const decodeResults = [decode('js'), decode('kernel')];

console.log(`CHAR_SMALL training step, batch ${B} x ${T} tokens, ${steps} timed steps (median)`);
console.log(sanity);
console.log('| baseline  | ours ms | ours tok/s | base ms | base tok/s | speed ratio ours/base |');
console.log('|---|---|---|---|---|---|');
for (const r of results) console.log(r);
console.log(`KV-cache decoding of ${T} tokens, weights on the ${decodeResults.join(', ')}`);
