import { InvalidVocabularyError } from '../errors.ts';
import { checkTokenIds } from './checkIds.ts';
import type { Tokenizer } from './tokenizer.ts';

/** The id every character outside the vocabulary maps to; it decodes to U+FFFD. */
export const UNKNOWN_CHAR_ID = 0;
/** How the unknown id is rendered by decode. */
export const UNKNOWN_CHAR = '\uFFFD';

/**
 * A character-level tokenizer: id 0 is "unknown", ids 1.. are the vocabulary's
 * characters (Unicode code points) in the order given. The vocabulary is part
 * of a model, so it serializes with `toJSON` / `fromJSON`.
 */
export class CharTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly #chars: readonly string[];
  readonly #ids: ReadonlyMap<string, number>;

  /** Builds a tokenizer over distinct single code points; throws InvalidVocabularyError otherwise. */
  constructor(chars: readonly string[]) {
    if (chars.length === 0) throw new InvalidVocabularyError('it is empty');
    const ids = new Map<string, number>();
    chars.forEach((c, i) => {
      if ([...c].length !== 1)
        throw new InvalidVocabularyError(`entry ${i} (${JSON.stringify(c)}) is not one character`);
      if (c === UNKNOWN_CHAR) throw new InvalidVocabularyError('U+FFFD is reserved for the unknown id');
      if (ids.has(c)) throw new InvalidVocabularyError(`character ${JSON.stringify(c)} appears twice`);
      ids.set(c, i + 1);
    });
    this.#chars = [UNKNOWN_CHAR, ...chars];
    this.#ids = ids;
    this.vocabSize = chars.length + 1;
  }

  /** Newline plus the 95 printable ASCII characters (vocabSize 97): the network's fixed char vocabulary. */
  static printableAscii(): CharTokenizer {
    const chars = ['\n'];
    for (let c = 0x20; c <= 0x7e; c++) chars.push(String.fromCharCode(c));
    return new CharTokenizer(chars);
  }

  /** The distinct characters of a corpus, sorted by code point. */
  static fromCorpus(text: string): CharTokenizer {
    const set = new Set(text);
    set.delete(UNKNOWN_CHAR);
    return new CharTokenizer([...set].sort((a, b) => (a.codePointAt(0) ?? 0) - (b.codePointAt(0) ?? 0)));
  }

  /** Restores a tokenizer saved with toJSON. */
  static fromJSON(json: { chars: string }): CharTokenizer {
    return new CharTokenizer([...json.chars]);
  }

  /** The vocabulary as one string (ids 1..), enough to rebuild the tokenizer. */
  toJSON(): { chars: string } {
    return { chars: this.#chars.slice(1).join('') };
  }

  /** One id per code point; characters outside the vocabulary become UNKNOWN_CHAR_ID. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const c of text) out.push(this.#ids.get(c) ?? UNKNOWN_CHAR_ID);
    return out;
  }

  /** The characters of the ids; the unknown id becomes U+FFFD. */
  decode(ids: readonly number[]): string {
    checkTokenIds(ids, this.vocabSize);
    let text = '';
    for (const id of ids) text += this.#chars[id];
    return text;
  }
}
