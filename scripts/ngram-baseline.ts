/**
 * The count-based baseline of docs/network-model.md: a 6-gram character model
 * with interpolated modified Kneser–Ney, trained on the training split of the
 * State of the Union corpus and evaluated on the held-out speeches, both on
 * every held-out character and on the characters the network model's
 * evaluation scores (the same windows, `--windows N`, 0 = all).
 *
 *   node bin/run.mjs scripts/ngram-baseline.ts [--order 6] [--windows 2048]
 */
import { parseArgs } from 'node:util';
import { loadCharCorpus } from '../src/data/corpus.ts';
import { evaluationWindows } from '../src/data/evaluate.ts';
import { KneserNeyCharModel } from '../src/data/ngram.ts';
import { NETWORK_MODEL_RECIPE } from '../src/data/recipe.ts';

const { values } = parseArgs({
  options: { order: { type: 'string', default: '6' }, windows: { type: 'string', default: '2048' } },
});
const order = Number(values.order);
const corpus = loadCharCorpus();
const started = performance.now();
const model = KneserNeyCharModel.train(corpus.trainIds, corpus.tokenizer.vocabSize, order);
const trainSeconds = (performance.now() - started) / 1000;
const all = model.bitsPerChar(corpus.heldOutIds);
const seqLen = NETWORK_MODEL_RECIPE.seqLen;
const scored = function* () {
  for (const start of evaluationWindows(corpus.heldOutIds.length, seqLen, Number(values.windows))) {
    for (let t = seqLen / 2; t < seqLen; t++) yield start + t + 1;
  }
};
const subset = model.bitsPerChar(corpus.heldOutIds, scored());
console.log(
  JSON.stringify({
    order,
    smoothing: 'interpolated modified Kneser-Ney',
    trainChars: corpus.trainIds.length,
    heldOutChars: corpus.heldOutIds.length,
    vocabSize: corpus.tokenizer.vocabSize,
    heldOutBpc: Number(all.bpc.toFixed(4)),
    windowSubsetBpc: Number(subset.bpc.toFixed(4)),
    windowSubsetChars: subset.chars,
    trainSeconds: Math.round(trainSeconds),
    heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
  }),
);
