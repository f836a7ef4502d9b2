import { decodeSafetensors } from '../core/safetensors.ts';
import type { GptConfig, Tokenizer } from '../model/index.ts';
import { countParams } from '../model/params.ts';
import { GPT_CONFIG_METADATA_KEY, importGpt } from '../model/safetensors.ts';
import { readCheckpoint, writeCheckpoint } from '../tasks/checkpoint.ts';
import { gpt2TokenizerMetadata, tokenizerFromMetadata } from '../tasks/tokenizerMetadata.ts';
import { NotAGptCheckpointError } from './errors.ts';

/** Where a checkpoint came from: Concord's own format, or Hugging Face GPT-2 weights converted to it. */
export type CheckpointSource = 'concord' | 'gpt2';

/** A checkpoint in the form nodes serve and train: Concord's format, with its tokenizer in metadata. */
export type PreparedCheckpoint = {
  /** The checkpoint bytes to store as a model (the file itself for a Concord checkpoint). */
  bytes: Uint8Array;
  source: CheckpointSource;
  config: GptConfig;
  /** Parameters of the model. */
  parameters: number;
  /** The tokenizer its metadata names (GPT-2's BPE for converted GPT-2 weights). */
  tokenizer: Tokenizer;
};

/** Tensor names that mark a Hugging Face GPT-2 checkpoint (with or without the `transformer.` prefix). */
const GPT2_EMBEDDING = /^(transformer\.)?wte\.weight$/;

/**
 * Reads a safetensors file as a model checkpoint: a Concord checkpoint (its
 * config in `concord.gpt.config` metadata) is checked and kept byte for byte;
 * a Hugging Face GPT-2 checkpoint (found by its `wte.weight` tensor) is
 * converted through `importGpt` and written as a Concord checkpoint naming
 * GPT-2's BPE tokenizer. Throws the safetensors decoder's and `importGpt`'s
 * named errors (not safetensors, NaN data, wrong shapes, missing tensors),
 * TaskInputError for a malformed tokenizer entry, and NotAGptCheckpointError
 * for a file of other tensors.
 */
export function prepareCheckpoint(bytes: Uint8Array): PreparedCheckpoint {
  const file = decodeSafetensors(bytes);
  if (file.metadata[GPT_CONFIG_METADATA_KEY] !== undefined) {
    const { params, metadata } = readCheckpoint(bytes);
    const { config } = params;
    const tokenizer = tokenizerFromMetadata(metadata, config.vocabSize);
    return { bytes, source: 'concord', config, parameters: countParams(config), tokenizer };
  }
  if (!Object.keys(file.tensors).some((name) => GPT2_EMBEDDING.test(name))) {
    throw new NotAGptCheckpointError('The file holds no GPT-2 token embedding (wte.weight).', {
      hint: 'Pass a Concord checkpoint or a Hugging Face GPT-2 model.safetensors.',
    });
  }
  const { params, config } = importGpt(bytes);
  const metadata = gpt2TokenizerMetadata();
  const tokenizer = tokenizerFromMetadata(metadata, config.vocabSize);
  const converted = writeCheckpoint({ params, metadata });
  return { bytes: converted, source: 'gpt2', config, parameters: countParams(config), tokenizer };
}
