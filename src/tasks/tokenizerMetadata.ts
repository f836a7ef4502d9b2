import { CharTokenizer } from '../model/tokenizers/char.ts';
import { Gpt2Tokenizer } from '../model/tokenizers/gpt2.ts';
import type { Tokenizer } from '../model/tokenizers/tokenizer.ts';
import { TaskInputError } from './errors.ts';

/** The checkpoint metadata key naming the model's tokenizer. */
export const TOKENIZER_METADATA_KEY = 'concord.tokenizer';

/** The tokenizer a checkpoint names: `{"type":"char","chars":"..."}` or `{"type":"gpt2"}`. */
export type TokenizerDescription = { type: 'char'; chars: string } | { type: 'gpt2' };

/** The metadata entry describing a char tokenizer. */
export function charTokenizerMetadata(tokenizer: CharTokenizer): Record<string, string> {
  return { [TOKENIZER_METADATA_KEY]: JSON.stringify({ type: 'char', ...tokenizer.toJSON() }) };
}

/** The metadata entry naming GPT-2's byte-level BPE (what imported GPT-2 checkpoints use). */
export function gpt2TokenizerMetadata(): Record<string, string> {
  return { [TOKENIZER_METADATA_KEY]: JSON.stringify({ type: 'gpt2' }) };
}

/**
 * The tokenizer named in a checkpoint's metadata; a checkpoint without one
 * (e.g. imported GPT-2 weights) uses GPT-2's BPE. TaskInputError if the
 * entry is malformed or its vocabulary does not fit the model.
 */
export function tokenizerFromMetadata(metadata: Record<string, string>, vocabSize: number): Tokenizer {
  const raw = metadata[TOKENIZER_METADATA_KEY];
  let tokenizer: Tokenizer;
  try {
    const desc = (raw === undefined ? { type: 'gpt2' } : JSON.parse(raw)) as TokenizerDescription;
    if (desc.type === 'char' && typeof desc.chars === 'string') tokenizer = CharTokenizer.fromJSON(desc);
    else if (desc.type === 'gpt2') tokenizer = new Gpt2Tokenizer();
    else throw new Error(`unknown tokenizer ${raw}`);
  } catch (cause) {
    throw new TaskInputError(`Checkpoint metadata '${TOKENIZER_METADATA_KEY}' is not a valid tokenizer.`, {
      cause,
      hint: 'Write it with charTokenizerMetadata, or leave it out for GPT-2 BPE.',
    });
  }
  if (tokenizer.vocabSize > vocabSize) {
    throw new TaskInputError(
      `The checkpoint's tokenizer has ${tokenizer.vocabSize} ids but the model only ${vocabSize}.`,
    );
  }
  return tokenizer;
}
