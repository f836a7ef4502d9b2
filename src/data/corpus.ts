import { CharTokenizer } from '../model/tokenizers/char.ts';
import { CorpusShardError } from './errors.ts';
import { joinSpeeches, loadSpeeches, type SotuSplit, splitSpeeches } from './sotu.ts';

/** The State of the Union corpus ready for character-level training. */
export type CharCorpus = {
  readonly split: SotuSplit;
  readonly trainText: string;
  readonly heldOutText: string;
  /** Every character of the training text, sorted by code point; id 0 is "unknown". */
  readonly tokenizer: CharTokenizer;
  readonly trainIds: Int32Array;
  /** Held-out characters missing from the training text map to the unknown id. */
  readonly heldOutIds: Int32Array;
};

/** Encodes a text as an Int32Array of character ids. */
export function encodeChars(tokenizer: CharTokenizer, text: string): Int32Array {
  return Int32Array.from(tokenizer.encode(text));
}

/**
 * Loads the corpus, splits it (every tenth speech held out), builds the
 * character vocabulary from the training split only and encodes both splits.
 */
export function loadCharCorpus(): CharCorpus {
  const split = splitSpeeches(loadSpeeches());
  if (split.train.length === 0 || split.heldOut.length === 0) {
    throw new CorpusShardError('The corpus has too few speeches to split.');
  }
  const trainText = joinSpeeches(split.train);
  const heldOutText = joinSpeeches(split.heldOut);
  const tokenizer = CharTokenizer.fromCorpus(trainText);
  return {
    split,
    trainText,
    heldOutText,
    tokenizer,
    trainIds: encodeChars(tokenizer, trainText),
    heldOutIds: encodeChars(tokenizer, heldOutText),
  };
}
