import type { Tokenizer } from './tokenizer.ts';

/** Longest run of tokens that can end inside one UTF-8 character (4 bytes, at least 1 byte per token). */
const MAX_PENDING = 4;
const REPLACEMENT = '\uFFFD';

/**
 * Turns generated token ids into text as they arrive, for streaming. Byte-level
 * BPE tokens can split a multi-byte character, and decoding such a token alone
 * gives U+FFFD; the stream holds tokens back while the decoded text ends in
 * U+FFFD, for at most 4 tokens (after which the U+FFFD is genuine and is
 * emitted). The concatenation of all `push` results and `flush` equals
 * `tokenizer.decode(allIds)`.
 */
export class TokenTextStream {
  readonly #tokenizer: Tokenizer;
  #pending: number[] = [];

  /** A stream over a tokenizer (character or GPT-2 BPE). */
  constructor(tokenizer: Tokenizer) {
    this.#tokenizer = tokenizer;
  }

  /** Adds one token id; returns the text that is now complete (possibly ''). */
  push(id: number): string {
    this.#pending.push(id);
    const text = this.#tokenizer.decode(this.#pending);
    if (text.endsWith(REPLACEMENT) && this.#pending.length < MAX_PENDING) return '';
    this.#pending = [];
    return text;
  }

  /** Returns whatever is held back (call at the end of generation). */
  flush(): string {
    const text = this.#pending.length > 0 ? this.#tokenizer.decode(this.#pending) : '';
    this.#pending = [];
    return text;
  }
}
