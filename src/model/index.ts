/**
 * Concord's GPT-2-architecture model: config, parameters (Hugging Face names),
 * forward/backward, KV-cache decoding, AdamW, tokenizers, sampling and
 * safetensors import/export. See docs/model.md.
 */
export {
  AdamW,
  type AdamWOptions,
  type AdamWState,
  type AdamWStepResult,
  globalNorm,
  weightDecayMask,
} from './adamw.ts';
export {
  CHAR_SMALL,
  GPT2_SMALL,
  type GptConfig,
  type GptConfigInput,
  headDim,
  makeGptConfig,
  mlpDim,
  sameConfig,
} from './config.ts';
export * from './errors.ts';
export { type GenerateOptions, generate } from './generate.ts';
export { GptGenerator, type LinearRequest, type MatrixName } from './generator.ts';
export { Gpt } from './gpt.ts';
export { attendRow, headScale, type KvTarget, splitHeads } from './layers/attention.ts';
export { embed } from './layers/embedding.ts';
export { allocBuffer, freeBuffer, type Placement } from './memory.ts';
export {
  type DraftProposal,
  MAX_DRAFT_VOCAB,
  NgramDraft,
  type NgramDraftOptions,
  type NgramTables,
} from './ngramDraft.ts';
export {
  type DecodedNgramDraft,
  decodeNgramDraft,
  encodeNgramDraft,
  NGRAM_DRAFT_METADATA_KEY,
} from './ngramDraftFile.ts';
export {
  type BlockWeights,
  countParams,
  GptParams,
  type GptWeights,
  gptParamSpecs,
  INIT_STD,
  type LayerNormWeights,
  type LinearWeights,
  type ParamInit,
  type ParamSpec,
} from './params.ts';
export { Rng } from './rng.ts';
export {
  exportGpt,
  GPT_CONFIG_METADATA_KEY,
  GPT2_HEAD_DIM,
  type ImportedGpt,
  type ImportGptOptions,
  importGpt,
} from './safetensors.ts';
export {
  argmax,
  checkSamplingOptions,
  type SamplingOptions,
  sampleToken,
  sampleWeights,
  tokenDistribution,
} from './sample.ts';
export { CharTokenizer, UNKNOWN_CHAR, UNKNOWN_CHAR_ID } from './tokenizers/char.ts';
export { checkTokenIds } from './tokenizers/checkIds.ts';
export { GPT2_END_OF_TEXT, GPT2_VOCAB_SIZE, Gpt2Tokenizer } from './tokenizers/gpt2.ts';
export { TokenTextStream } from './tokenizers/stream.ts';
export type { Tokenizer } from './tokenizers/tokenizer.ts';
export {
  type LrSchedule,
  lrAt,
  makeBatch,
  sampleBatch,
  type TrainBatch,
  Trainer,
  type TrainStepResult,
} from './train.ts';
