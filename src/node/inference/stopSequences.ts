/** What {@link StopSequenceFilter.push} releases: text safe to show, and whether a stop sequence was reached. */
export type StopFilterOutput = { text: string; stopped: boolean };

/**
 * Cuts streamed text at the first occurrence of any stop sequence (OpenAI's
 * `stop`). Text that could still turn out to be the start of a stop sequence
 * is held back until it cannot, so nothing after the cut is ever released.
 * After each pushed piece, if the text so far contains a stop sequence, it is
 * cut at the earliest one: the concatenation of every released text (and
 * `flush()`) is that cut text, or all the text when no stop sequence appears.
 */
export class StopSequenceFilter {
  readonly #stops: readonly string[];
  #held = '';
  #stopped = false;

  /** `stops` are non-empty strings; an empty list releases everything at once. */
  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((s) => s.length > 0);
  }

  /** Whether a stop sequence was reached (later pushes release nothing). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Adds the next piece of text; returns what can be released now. */
  push(text: string): StopFilterOutput {
    if (this.#stopped) return { text: '', stopped: true };
    const buffer = this.#held + text;
    let cut = -1;
    for (const stop of this.#stops) {
      const at = buffer.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.#held = '';
      this.#stopped = true;
      return { text: buffer.slice(0, cut), stopped: true };
    }
    const keep = this.#heldBackLength(buffer);
    this.#held = buffer.slice(buffer.length - keep);
    return { text: buffer.slice(0, buffer.length - keep), stopped: false };
  }

  /** Releases what is held back (at the end of generation, when no stop sequence can complete any more). */
  flush(): string {
    const rest = this.#stopped ? '' : this.#held;
    this.#held = '';
    return rest;
  }

  /** Length of the longest end of `buffer` that is the beginning of some stop sequence. */
  #heldBackLength(buffer: string): number {
    let longest = 0;
    for (const stop of this.#stops) {
      for (let n = Math.min(stop.length - 1, buffer.length); n > longest; n--) {
        if (buffer.endsWith(stop.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }
}
