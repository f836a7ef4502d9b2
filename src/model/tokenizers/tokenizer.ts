/** What every Concord tokenizer offers: text to token ids and back. */
export interface Tokenizer {
  /** Number of distinct token ids; the model's vocabSize must equal it. */
  readonly vocabSize: number;
  /** Splits text into token ids, each in [0, vocabSize). */
  encode(text: string): number[];
  /** Joins token ids back into text; throws TokenOutOfRangeError for ids outside the vocabulary. */
  decode(ids: readonly number[]): string;
}
