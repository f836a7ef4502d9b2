/**
 * Builds the shipped model's n-gram draft for speculative decoding
 * (models/README.md): a token n-gram model of the training split of the State
 * of the Union corpus (every tenth speech held out, as for the model), encoded
 * with the shipped checkpoint's own tokenizer. Deterministic bytes.
 *
 *   node bin/run.mjs scripts/train-draft-model.ts OUT
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCharCorpus } from '../src/data/corpus.ts';
import { NgramDraft, type NgramDraftOptions } from '../src/model/ngramDraft.ts';
import { encodeNgramDraft } from '../src/model/ngramDraftFile.ts';
import { importGpt } from '../src/model/safetensors.ts';
import { SHIPPED_CHECKPOINT } from '../src/model/shipped.ts';
import { charTokenizerMetadata, TOKENIZER_METADATA_KEY } from '../src/tasks/tokenizerMetadata.ts';

/** The shipped draft: 7-grams, contexts seen at least 40 times, continuations at least 10 times. */
const SHIPPED_DRAFT_OPTIONS: NgramDraftOptions = {
  order: 7,
  minContextCount: 40,
  minCount: 10,
  discount: 0.75,
};

const { positionals } = parseArgs({ allowPositionals: true });
const [out] = positionals;
if (!out) {
  console.error('usage: node bin/run.mjs scripts/train-draft-model.ts OUT');
  process.exit(2);
}
let started = performance.now();
const corpus = loadCharCorpus();
const loadMs = performance.now() - started;
const tokenizer = charTokenizerMetadata(corpus.tokenizer);
const shipped = importGpt(readFileSync(SHIPPED_CHECKPOINT)).metadata[TOKENIZER_METADATA_KEY];
if (shipped !== tokenizer[TOKENIZER_METADATA_KEY]) {
  console.error(
    'The corpus vocabulary differs from the shipped checkpoint tokenizer; the draft would not fit.',
  );
  process.exit(1);
}
started = performance.now();
const draft = NgramDraft.train(corpus.trainIds, corpus.tokenizer.vocabSize, SHIPPED_DRAFT_OPTIONS);
const trainMs = performance.now() - started;
const bytes = encodeNgramDraft(draft, {
  ...tokenizer,
  'concord.ngram.training': JSON.stringify({ corpus: 'sotu-train-split', ...SHIPPED_DRAFT_OPTIONS }),
});
writeFileSync(out, bytes);
console.log(
  JSON.stringify({
    out,
    trainTokens: corpus.trainIds.length,
    nodes: draft.tables.nodeToken.length,
    continuations: draft.tables.entryToken.length,
    bytes: bytes.length,
    corpusLoadMs: Math.round(loadMs),
    trainMs: Math.round(trainMs),
  }),
);
