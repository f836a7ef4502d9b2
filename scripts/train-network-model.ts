/**
 * Trains the network's own character model on the State of the Union corpus
 * (docs/network-model.md), resumably, with a checkpoint after every round.
 *
 *   node bin/run.mjs scripts/train-network-model.ts fed     --dir DIR [--threads 2]   # through the task kinds
 *   node bin/run.mjs scripts/train-network-model.ts central --dir DIR   # the same compute in one sequence
 *   node bin/run.mjs scripts/train-network-model.ts eval    FILE... [--windows N]   # held-out bits/char
 *   node bin/run.mjs scripts/train-network-model.ts sample  FILE [--seed N] [--tokens N] [--prompt TEXT]
 *   node bin/run.mjs scripts/train-network-model.ts export  FILE OUT   # drop the AdamW state: the shippable model
 *
 * fed/central start from the shipped recipe (NETWORK_MODEL_RECIPE in
 * src/data/recipe.ts: gradient tasks and an AdamW aggregate step per round),
 * or with --recipe fedavg from the previous model's (FEDAVG_RECIPE: train
 * tasks and model averaging). Options override single fields:
 * --rounds, --local-steps, --shards, --task-batch, --eval-windows,
 * --reset-optimizer (fed: start AdamW fresh in every train task instead of
 * carrying its moments in the checkpoints), --lr, --min-lr, --warmup,
 * --d-model, --layers, --heads, --eval-every, --shard-layout era|interleaved,
 * --server-lr (fed: the aggregate's server learning rate; 1 = plain FedAvg),
 * --server-lr-start (fed: first round that uses it; plain FedAvg before),
 * --exchange weights|gradients (fed: train tasks + model averaging, or
 * gradient tasks + an AdamW step in the aggregate; gradients needs
 * --local-steps 1), --threads N (fed: run each round's tasks on N worker
 * threads; same bytes as 1).
 * A run writes DIR/round-NNN.safetensors, DIR/state.json and one JSON line
 * per round on stdout; started again with the same DIR it resumes after the
 * last finished round (the central run then restarts AdamW's moments).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCharCorpus } from '../src/data/corpus.ts';
import { bitsPerChar, evaluationWindows } from '../src/data/evaluate.ts';
import { centralRound, federatedRound, initialCheckpoint } from '../src/data/networkTraining.ts';
import {
  FEDAVG_RECIPE,
  NETWORK_MODEL_RECIPE,
  type NetworkModelRecipe,
  recipeShards,
} from '../src/data/recipe.ts';
import { generate } from '../src/model/generate.ts';
import { Gpt } from '../src/model/gpt.ts';
import { Rng } from '../src/model/rng.ts';
import { Trainer } from '../src/model/train.ts';
import { readCheckpoint, writeCheckpoint } from '../src/tasks/checkpoint.ts';
import { shardBlob } from '../src/tasks/shardBlob.ts';
import { createTaskThreadPool, inThreadRunner } from '../src/tasks/taskRunner.ts';
import { tokenizerFromMetadata } from '../src/tasks/tokenizerMetadata.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string', default: 'network-model-run' },
    rounds: { type: 'string' },
    'local-steps': { type: 'string' },
    shards: { type: 'string' },
    'task-batch': { type: 'string' },
    'eval-windows': { type: 'string' },
    'reset-optimizer': { type: 'boolean', default: false },
    lr: { type: 'string' },
    'min-lr': { type: 'string' },
    warmup: { type: 'string' },
    'd-model': { type: 'string' },
    layers: { type: 'string' },
    heads: { type: 'string' },
    'eval-every': { type: 'string' },
    'shard-layout': { type: 'string' },
    'server-lr': { type: 'string' },
    'server-lr-start': { type: 'string' },
    exchange: { type: 'string' },
    threads: { type: 'string', default: '1' },
    recipe: { type: 'string', default: 'shipped' },
    windows: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    tokens: { type: 'string', default: '400' },
    prompt: { type: 'string', default: 'Fellow-Citizens of the Senate and House of Representatives: ' },
  },
});
const [mode, ...files] = positionals;

function recipeFromFlags(): NetworkModelRecipe {
  const num = (flag: string | undefined, fallback: number) => (flag === undefined ? fallback : Number(flag));
  const recipes: Record<string, NetworkModelRecipe> = {
    shipped: NETWORK_MODEL_RECIPE,
    fedavg: FEDAVG_RECIPE,
  };
  const r = recipes[values.recipe];
  if (!r) throw new Error(`--recipe must be shipped or fedavg (got ${values.recipe})`);
  return {
    ...r,
    rounds: num(values.rounds, r.rounds),
    localSteps: num(values['local-steps'], r.localSteps),
    shards: num(values.shards, r.shards),
    taskBatch: num(values['task-batch'], r.taskBatch),
    evalWindows: num(values['eval-windows'], r.evalWindows),
    carryOptimizer: values['reset-optimizer'] ? false : r.carryOptimizer,
    lr: num(values.lr, r.lr),
    minLr: num(values['min-lr'], r.minLr),
    warmupSteps: num(values.warmup, r.warmupSteps),
    dModel: num(values['d-model'], r.dModel),
    nLayers: num(values.layers, r.nLayers),
    nHeads: num(values.heads, r.nHeads),
    evalEvery: num(values['eval-every'], r.evalEvery),
    shardLayout: choiceFlag('shard-layout', ['era', 'interleaved'], r.shardLayout),
    serverLr: num(values['server-lr'], r.serverLr),
    serverLrStartRound: num(values['server-lr-start'], r.serverLrStartRound),
    exchange: choiceFlag('exchange', ['weights', 'gradients'], r.exchange),
  };
}

/** The value of string flag `--name`: one of `allowed`, or `fallback` if it was not given. */
function choiceFlag<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const flag = values[name as keyof typeof values];
  if (flag === undefined) return fallback;
  if ((allowed as readonly unknown[]).includes(flag)) return flag as T;
  throw new Error(`--${name} must be ${allowed.join(' or ')} (got ${flag})`);
}

type RunState = { mode: string; recipe: NetworkModelRecipe; round: number; log: unknown[] };

async function train(kind: 'fed' | 'central'): Promise<void> {
  const recipe = recipeFromFlags();
  const dir = values.dir;
  mkdirSync(dir, { recursive: true });
  const statePath = join(dir, 'state.json');
  const corpus = loadCharCorpus();
  const windows = evaluationWindows(corpus.heldOutIds.length, recipe.seqLen, recipe.evalWindows);
  let state: RunState = { mode: kind, recipe, round: 0, log: [] };
  let checkpoint = initialCheckpoint(recipe, corpus);
  if (existsSync(statePath)) {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as RunState;
    if (state.mode !== kind || JSON.stringify(state.recipe) !== JSON.stringify(recipe)) {
      throw new Error(`${statePath} belongs to a different run; use another --dir.`);
    }
    if (state.round > 0) checkpoint = readFileSync(roundFile(dir, state.round));
    console.error(`resuming ${kind} after round ${state.round}`);
  }
  const shards = recipeShards(recipe, corpus).map(shardBlob);
  const tokensPerRound = recipe.shards * recipe.localSteps * recipe.taskBatch * recipe.seqLen;
  const current = readCheckpoint(checkpoint);
  const trainer =
    kind === 'central'
      ? new Trainer(current.params, {
          lr: recipe.lr,
          weightDecay: recipe.weightDecay,
          maxGradNorm: recipe.maxGradNorm,
        })
      : undefined;
  const threads = Number(values.threads);
  const pool = kind === 'fed' && threads > 1 ? createTaskThreadPool(threads) : undefined;
  const runner = pool?.run ?? inThreadRunner();
  const started = performance.now();
  for (let round = state.round; round < recipe.rounds; round++) {
    const roundStart = performance.now();
    let trainLoss: number | undefined;
    if (trainer) {
      trainLoss = centralRound(recipe, trainer, corpus.trainIds, round);
      checkpoint = writeCheckpoint(current);
    } else {
      checkpoint = await federatedRound(recipe, checkpoint, shards, round, runner);
    }
    const trainSeconds = (performance.now() - roundStart) / 1000;
    const scored = (round + 1) % recipe.evalEvery === 0 || round + 1 === recipe.rounds;
    const bpc = scored
      ? bitsPerChar(new Gpt(readCheckpoint(checkpoint).params), corpus.heldOutIds, recipe.seqLen, windows).bpc
      : undefined;
    writeFileSync(roundFile(dir, round + 1), checkpoint);
    const entry = {
      mode: kind,
      round: round + 1,
      tokens: (round + 1) * tokensPerRound,
      ...(bpc === undefined ? {} : { heldOutBpc: Number(bpc.toFixed(4)) }),
      ...(trainLoss === undefined ? {} : { trainBpc: Number((trainLoss / Math.LN2).toFixed(4)) }),
      trainTokensPerSecond: Math.round(tokensPerRound / trainSeconds),
      elapsedSeconds: Math.round((performance.now() - started) / 1000),
    };
    state = { ...state, round: round + 1, log: [...state.log, entry] };
    writeFileSync(statePath, `${JSON.stringify(state, null, 1)}\n`);
    pruneRound(dir, round, recipe.evalEvery);
    console.log(JSON.stringify(entry));
  }
  await pool?.close();
}

/**
 * Deletes round `round`'s checkpoint once a later one is recorded in
 * state.json, unless it falls on an evaluation round: a long run keeps one
 * checkpoint per `keepEvery` rounds plus the latest, and stays resumable.
 */
function pruneRound(dir: string, round: number, keepEvery: number): void {
  if (round > 0 && round % keepEvery !== 0) rmSync(roundFile(dir, round), { force: true });
}

function roundFile(dir: string, round: number): string {
  return join(dir, `round-${String(round).padStart(3, '0')}.safetensors`);
}

function evaluate(): void {
  const corpus = loadCharCorpus();
  for (const file of files) {
    const { params } = readCheckpoint(readFileSync(file));
    const seqLen = params.config.contextLength;
    const windows = evaluationWindows(corpus.heldOutIds.length, seqLen, Number(values.windows));
    const { bpc, chars } = bitsPerChar(new Gpt(params), corpus.heldOutIds, seqLen, windows);
    console.log(JSON.stringify({ file, heldOutBpc: Number(bpc.toFixed(4)), scoredChars: chars }));
  }
}

function sample(): void {
  const file = files[0];
  if (!file) throw new Error('sample needs a checkpoint file');
  const { params, metadata } = readCheckpoint(readFileSync(file));
  const tokenizer = tokenizerFromMetadata(metadata, params.config.vocabSize);
  const out = generate(new Gpt(params), tokenizer.encode(values.prompt), new Rng(Number(values.seed)), {
    maxNewTokens: Number(values.tokens),
    temperature: 0.8,
    topK: 40,
  });
  console.log(values.prompt + tokenizer.decode(out));
}

function exportModel(): void {
  const [file, out] = files;
  if (!file || !out) throw new Error('export needs a checkpoint file and an output file');
  const { params, metadata } = readCheckpoint(readFileSync(file));
  writeFileSync(out, writeCheckpoint({ params, metadata }));
}

if (mode === 'fed' || mode === 'central') await train(mode);
else if (mode === 'export') exportModel();
else if (mode === 'eval') evaluate();
else if (mode === 'sample') sample();
else {
  console.error('usage: train-network-model.ts fed|central|eval|sample|export ... (see the file header)');
  process.exit(2);
}
