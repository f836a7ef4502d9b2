/**
 * The second version's local decode loop against the model's own KV-cache
 * decoder, in one run, both with weights in kernel memory, one thread:
 *
 * - ours: `Decoder` over `localExchangeBackend` (placement 'kernel') at 1 and
 *   4 shards per exchange — the exchanges of the distributed plan computed in
 *   this process, in the plan's canonical order;
 * - baseline: `GptGenerator` (placement 'kernel').
 *
 * For the network's char model (models/concord-char-v3.safetensors, or a fresh
 * model of its recipe if the file is missing) and a GPT-2-small-sized model
 * (124 M random parameters from a seed, as bench/inference.ts builds it):
 * decoding tokens/s of each and the ratio ours / baseline, the runs taking
 * turns (best of 3) so that a change of machine load hits all alike; and the
 * prefill of a 128-token prompt by the Decoder in one forward (batched) vs
 * one token per forward, and by the baseline. The bench fails if the
 * 1-shard Decoder's logits differ from the baseline's in any bit.
 * Run: `node bin/run.mjs bench/decoder.ts [tokens]` (char model: 4 × tokens, GPT-2: tokens / 4; default 64, capped at the context).
 */

import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { NETWORK_MODEL_RECIPE, recipeConfig } from '../src/data/recipe.ts';
import { Decoder } from '../src/inference/decoder.ts';
import { type LocalExchangeBackend, localExchangeBackend } from '../src/inference/localExchangeBackend.ts';
import { GPT2_SMALL, GptGenerator, type GptParams, type Placement } from '../src/model/index.ts';
import { SHIPPED_CHECKPOINT, SHIPPED_CHECKPOINT_NAME } from '../src/model/shipped.ts';
import { type BenchModelSource, loadBenchModel } from './support/inferenceModels.ts';

const KERNEL: Placement = 'kernel';
const ROUNDS = 3;
const PROMPT = 128;
const SHARDS = [1, 4] as const;
const tokensArg = Number(process.argv[2] ?? 64);

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The fixed token pattern every run feeds. */
const tokenAt = (i: number, V: number) => (i * 7919 + 11) % V;

/** Baseline: `count` steps of GptGenerator from an empty cache; seconds and the last logits. */
function generatorRun(params: GptParams, count: number): { s: number; logits: Float32Array } {
  const gen = new GptGenerator(params, KERNEL);
  const V = params.config.vocabSize;
  let logits: Float32Array = new Float32Array(0);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) logits = gen.step(tokenAt(i, V));
  const s = seconds(start);
  logits = Float32Array.from(logits);
  gen.dispose();
  return { s, logits };
}

/** Ours: `count` one-token forwards of the Decoder from an empty window; seconds and the last logits. */
async function decoderRun(decoder: Decoder, count: number): Promise<{ s: number; logits: Float32Array }> {
  decoder.rollback(0);
  const V = decoder.config.vocabSize;
  let logits: Float32Array = new Float32Array(0);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) logits = await decoder.forward([tokenAt(i, V)], 1);
  return { s: seconds(start), logits };
}

/** Seconds to prefill PROMPT tokens: batched (one forward) or one token per forward. */
async function prefillRun(decoder: Decoder, batched: boolean): Promise<number> {
  decoder.rollback(0);
  const prompt = Array.from({ length: PROMPT }, (_, i) => tokenAt(i, decoder.config.vocabSize));
  const start = process.hrtime.bigint();
  if (batched) await decoder.forward(prompt, 1);
  else for (const t of prompt) await decoder.forward([t], 1);
  return seconds(start);
}

function generatorPrefill(params: GptParams): number {
  const gen = new GptGenerator(params, KERNEL);
  const prompt = Array.from({ length: PROMPT }, (_, i) => tokenAt(i, params.config.vocabSize));
  const start = process.hrtime.bigint();
  gen.prefill(prompt);
  const s = seconds(start);
  gen.dispose();
  return s;
}

const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length &&
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

type Row = {
  label: string;
  base: number;
  ours: Map<number, number>;
  prefill: { batched: number; single: number; gen: number };
};

async function benchModel(label: string, source: BenchModelSource, tokens: number): Promise<Row> {
  const params = loadBenchModel(source, KERNEL);
  const count = Math.min(tokens, params.config.contextLength);
  const backends = new Map<number, LocalExchangeBackend>();
  const decoders = new Map<number, Decoder>();
  for (const n of SHARDS) {
    const backend = localExchangeBackend(params, { shardsPerMatrix: n }, { placement: KERNEL });
    backends.set(n, backend);
    decoders.set(n, new Decoder(params, backend));
  }
  try {
    generatorRun(params, 2);
    for (const d of decoders.values()) await decoderRun(d, 2);
    let base = Number.POSITIVE_INFINITY;
    const ours = new Map<number, number>(SHARDS.map((n) => [n, Number.POSITIVE_INFINITY]));
    const prefill = {
      batched: Number.POSITIVE_INFINITY,
      single: Number.POSITIVE_INFINITY,
      gen: Number.POSITIVE_INFINITY,
    };
    for (let r = 0; r < ROUNDS; r++) {
      const g = generatorRun(params, count);
      base = Math.min(base, g.s);
      for (const [n, d] of decoders) {
        const o = await decoderRun(d, count);
        ours.set(n, Math.min(ours.get(n)!, o.s));
        if (n === 1 && !sameBits(o.logits, g.logits))
          throw new Error(`${label}: 1-shard Decoder logits differ from GptGenerator's`);
      }
      const one = decoders.get(1)!;
      prefill.batched = Math.min(prefill.batched, await prefillRun(one, true));
      prefill.single = Math.min(prefill.single, await prefillRun(one, false));
      prefill.gen = Math.min(prefill.gen, generatorPrefill(params));
    }
    const tps = (s: number) => count / s;
    return { label, base: tps(base), ours: new Map([...ours].map(([n, s]) => [n, tps(s)])), prefill };
  } finally {
    for (const b of backends.values()) b.dispose();
    params.dispose();
  }
}

const loadBefore = loadavg()[0]!;
const shipped: BenchModelSource = existsSync(SHIPPED_CHECKPOINT)
  ? { kind: 'checkpoint', path: SHIPPED_CHECKPOINT }
  : { kind: 'random', config: recipeConfig(NETWORK_MODEL_RECIPE, 99), seed: 1 };
const rows = [
  await benchModel(
    `network char model (${shipped.kind === 'checkpoint' ? SHIPPED_CHECKPOINT_NAME : 'fresh init'})`,
    shipped,
    Math.max(16, 4 * tokensArg),
  ),
  await benchModel(
    'GPT-2-small (124 M, random)',
    { kind: 'random', config: GPT2_SMALL, seed: 1 },
    Math.max(4, tokensArg / 4),
  ),
];

const f = (x: number, d = 1) => x.toFixed(d);
console.log(`load average (1 min) before / after: ${f(loadBefore, 2)} / ${f(loadavg()[0]!, 2)}`);
console.log('| model | GptGenerator (kernel) | Decoder, 1 shard | ratio | Decoder, 4 shards | ratio |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  const [o1, o4] = [r.ours.get(1)!, r.ours.get(4)!];
  console.log(
    `| ${r.label} | ${f(r.base)} tok/s | ${f(o1)} tok/s | ${f(o1 / r.base, 2)} | ${f(o4)} tok/s | ${f(o4 / r.base, 2)} |`,
  );
}
console.log(
  `| model | prefill ${PROMPT} tokens: Decoder batched | Decoder one by one | ratio | GptGenerator one by one | ratio |`,
);
console.log('|---|---|---|---|---|---|');
for (const { label, prefill: p } of rows) {
  const ms = (s: number) => `${f(s * 1000)} ms`;
  console.log(
    `| ${label} | ${ms(p.batched)} | ${ms(p.single)} | ${f(p.single / p.batched, 2)}× faster | ${ms(p.gen)} | ${f(p.gen / p.batched, 2)}× faster |`,
  );
}
