/**
 * Inference speed of Concord's model, single thread, KV-cache decoding:
 *
 * 1. The network's own char model (models/concord-char-v1.safetensors, or a
 *    freshly initialized model of the same recipe if the file is missing):
 *    generated tokens/s against the target of 3 000 tokens/s.
 * 2. A GPT-2-small-sized model (124 M parameters, random weights) against the
 *    memory-bandwidth bound measured in the same run: decoding one token
 *    reads every weight once (4 bytes each, minus the position table of
 *    which one row is read), so bound = copy bandwidth / bytes per token;
 *    copy bandwidth = 2 × bytes / time of a 256 MiB `Float32Array.set`
 *    (read + write traffic, STREAM's convention). Target ≥ 0.8 of the bound.
 *
 * The training-speed comparison against TensorFlow.js (wasm) lives in
 * bench/model.ts. Run: `node bin/run.mjs bench/modelInference.ts [tokens]`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { NETWORK_MODEL_RECIPE, recipeConfig } from '../src/data/recipe.ts';
import { GPT2_SMALL } from '../src/model/config.ts';
import { Gpt } from '../src/model/gpt.ts';
import type { Placement } from '../src/model/memory.ts';
import { countParams, GptParams } from '../src/model/params.ts';
import { readCheckpoint } from '../src/tasks/checkpoint.ts';

const tokens = Number(process.argv[2] ?? 64);
const CHECKPOINT = 'models/concord-char-v1.safetensors';
const KERNEL: Placement = 'kernel';

function seconds(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Decoding tokens/s of a model: `count` KV-cache steps over a fixed token pattern (best of `repeats`). */
function decodeTokensPerSecond(params: GptParams, count: number, repeats: number): number {
  const gen = new Gpt(params, { placement: KERNEL }).generator();
  const V = params.config.vocabSize;
  let best = 0;
  for (let r = 0; r < repeats; r++) {
    gen.reset();
    const s = seconds(() => {
      for (let i = 0; i < count; i++) gen.step((i * 7919) % V);
    });
    best = Math.max(best, count / s);
  }
  gen.dispose();
  return best;
}

/** Copy bandwidth in bytes/s (read + write), best of a few 256 MiB copies. */
function copyBandwidth(): number {
  const n = 64 * 1024 * 1024;
  const src = new Float32Array(n).fill(1);
  const dst = new Float32Array(n);
  let best = 0;
  for (let r = 0; r < 5; r++) best = Math.max(best, (2 * n * 4) / seconds(() => dst.set(src)));
  return best;
}

// 1. The network's char model.
const charParams = existsSync(CHECKPOINT)
  ? readCheckpoint(readFileSync(CHECKPOINT), KERNEL).params
  : GptParams.init(recipeConfig(NETWORK_MODEL_RECIPE, 99), 1, KERNEL);
const charLength = Math.min(charParams.config.contextLength, 4 * tokens);
decodeTokensPerSecond(charParams, 8, 1);
const charTps = decodeTokensPerSecond(charParams, charLength, 5);
charParams.dispose();

// 2. GPT-2-small-sized model with random weights (uniform ±0.02 from an LCG: values do not change speed).
const gpt2 = GptParams.zeros(GPT2_SMALL, KERNEL);
let s = 1;
for (let i = 0; i < gpt2.flat.length; i++) {
  s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  gpt2.flat[i] = (s / 2 ** 32 - 0.5) * 0.04;
}
const bytesPerToken = (countParams(GPT2_SMALL) - GPT2_SMALL.contextLength * GPT2_SMALL.dModel) * 4;
const bandwidth = copyBandwidth();
const bound = bandwidth / bytesPerToken;
decodeTokensPerSecond(gpt2, 2, 1);
const gpt2Tps = decodeTokensPerSecond(gpt2, Math.max(4, tokens / 4), 2);
const bandwidthAfter = copyBandwidth();
gpt2.dispose();

const f = (x: number, d = 0) => x.toFixed(d);
console.log('| measurement | ours | reference | ratio | target |');
console.log('|---|---|---|---|---|');
console.log(
  `| network char model decoding (${existsSync(CHECKPOINT) ? CHECKPOINT : 'fresh init'}, ${charLength} tokens) | ${f(charTps)} tok/s | 3000 tok/s | ${f(charTps / 3000, 2)} | ≥ 1 |`,
);
console.log(
  `| GPT-2-small (124 M) decoding vs bandwidth bound | ${f(gpt2Tps, 2)} tok/s | ${f(bound, 2)} tok/s (${f(bandwidth / 1e9, 1)} GB/s copy, ${f(bytesPerToken / 1e6)} MB/token) | ${f(gpt2Tps / bound, 2)} | ≥ 0.8 |`,
);
console.log(
  `copy bandwidth before/after the GPT-2 run: ${f(bandwidth / 1e9, 1)} / ${f(bandwidthAfter / 1e9, 1)} GB/s`,
);
