import { GRAM_BASE as BASE, countGrams, MAX_GRAM_LENGTH as MAX_ORDER } from '../model/ngramCounts.ts';
import { logF32 } from '../tensor/math.ts';
import { NgramModelError } from './errors.ts';
import type { BitsPerChar } from './evaluate.ts';

/** Per-context statistics of one order: total count and how many continuations were seen 1, 2 and 3+ times. */
type ContextStats = { total: Float64Array; n1: Int32Array; n2: Int32Array; n3: Int32Array };

/** One order k of the model: counts of k-grams and the statistics of their (k−1)-char contexts. */
type OrderTable = {
  counts: Map<number, number>;
  contexts: Map<number, number>;
  stats: ContextStats;
  /** Discounts for counts 1, 2 and 3+. */
  d1: number;
  d2: number;
  d3: number;
};

/**
 * A count-based character n-gram model with interpolated modified Kneser–Ney
 * smoothing (Chen & Goodman 1998): the highest order uses raw counts, lower
 * orders continuation counts (how many distinct characters precede the
 * n-gram), three discounts per order from its count-of-counts, interpolated
 * down to the uniform distribution over the vocabulary. N-grams are packed
 * into integer keys of Maps (a few hundred MB for ten million characters).
 */
export class KneserNeyCharModel {
  readonly order: number;
  readonly vocabSize: number;
  readonly #tables: OrderTable[];

  private constructor(order: number, vocabSize: number, tables: OrderTable[]) {
    this.order = order;
    this.vocabSize = vocabSize;
    this.#tables = tables;
  }

  /** Counts the n-grams of `ids` (each in `[0, vocabSize)`, vocabSize <= 128) up to `order`. */
  static train(ids: Int32Array, vocabSize: number, order = 6): KneserNeyCharModel {
    if (!Number.isInteger(order) || order < 1 || order > MAX_ORDER) {
      throw new NgramModelError(`Order must be an integer in [1, ${MAX_ORDER}] (got ${order}).`);
    }
    if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > BASE) {
      throw new NgramModelError(`Vocabulary size must be in [1, ${BASE}] (got ${vocabSize}).`, {
        hint: 'Character vocabularies only; map rare characters to the unknown id.',
      });
    }
    for (const id of ids) {
      if (id < 0 || id >= vocabSize)
        throw new NgramModelError(`Token id ${id} is outside [0, ${vocabSize}).`);
    }
    const counts: Map<number, number>[] = new Array(order + 1);
    counts[order] = countGrams(ids, order);
    for (let k = order - 1; k >= 1; k--)
      counts[k] = continuationCounts(counts[k + 1] as Map<number, number>, k);
    const tables: OrderTable[] = [];
    for (let k = 1; k <= order; k++) tables.push(buildTable(counts[k] as Map<number, number>));
    return new KneserNeyCharModel(order, vocabSize, tables);
  }

  /** The probability of `ids[i]` given up to order−1 preceding ids. */
  probability(ids: Int32Array, i: number): number {
    let p = 1 / this.vocabSize;
    let gram = 0;
    let scale = 1;
    // gram holds ids[i-k+1..i], oldest most significant; context = floor(gram / BASE) drops ids[i].
    for (let k = 1; k <= this.order && i - k + 1 >= 0; k++) {
      gram += (ids[i - k + 1] as number) * scale;
      scale *= BASE;
      const table = this.#tables[k - 1] as OrderTable;
      const context = table.contexts.get(Math.floor(gram / BASE));
      if (context === undefined) continue;
      const { total, n1, n2, n3 } = table.stats;
      const c = table.counts.get(gram) ?? 0;
      const discount = c === 0 ? 0 : c === 1 ? table.d1 : c === 2 ? table.d2 : table.d3;
      const backoff =
        table.d1 * (n1[context] as number) +
        table.d2 * (n2[context] as number) +
        table.d3 * (n3[context] as number);
      p = (Math.max(c - discount, 0) + backoff * p) / (total[context] as number);
    }
    return p;
  }

  /** Mean bits per character of `ids` at `positions` (default: every position from order−1 on). */
  bitsPerChar(ids: Int32Array, positions?: Iterable<number>): BitsPerChar {
    let nats = 0;
    let chars = 0;
    const all = function* (from: number) {
      for (let i = from; i < ids.length; i++) yield i;
    };
    for (const i of positions ?? all(this.order - 1)) {
      nats -= logF32(this.probability(ids, i));
      chars++;
    }
    return { bpc: nats / chars / Math.LN2, chars };
  }
}

/** Continuation counts of k-grams: the number of distinct (k+1)-grams ending with each. */
function continuationCounts(higher: Map<number, number>, k: number): Map<number, number> {
  const mod = BASE ** k;
  const counts = new Map<number, number>();
  for (const gram of higher.keys()) {
    const suffix = gram % mod;
    counts.set(suffix, (counts.get(suffix) ?? 0) + 1);
  }
  return counts;
}

/** The smallest discount any order uses (see `buildTable`). */
const MIN_DISCOUNT = 0.01;

/** Context statistics and modified-KN discounts of one order. */
function buildTable(counts: Map<number, number>): OrderTable {
  const contexts = new Map<number, number>();
  for (const gram of counts.keys()) {
    const context = Math.floor(gram / BASE);
    if (!contexts.has(context)) contexts.set(context, contexts.size);
  }
  const size = contexts.size;
  const stats: ContextStats = {
    total: new Float64Array(size),
    n1: new Int32Array(size),
    n2: new Int32Array(size),
    n3: new Int32Array(size),
  };
  const countOfCounts = [0, 0, 0, 0, 0];
  for (const [gram, c] of counts) {
    const ctx = contexts.get(Math.floor(gram / BASE)) as number;
    stats.total[ctx] = (stats.total[ctx] as number) + c;
    if (c === 1) stats.n1[ctx] = (stats.n1[ctx] as number) + 1;
    else if (c === 2) stats.n2[ctx] = (stats.n2[ctx] as number) + 1;
    else stats.n3[ctx] = (stats.n3[ctx] as number) + 1;
    if (c <= 4) countOfCounts[c] = (countOfCounts[c] as number) + 1;
  }
  const [, m1, m2, m3, m4] = countOfCounts.map((x) => Math.max(x, 1)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const y = m1 / (m1 + 2 * m2);
  // A discount of 0 would give unseen continuations probability 0 (infinite bits) in degenerate
  // count-of-counts; a small floor keeps every probability positive (real text's discounts are far above it).
  const clamp = (d: number, max: number) => Math.min(Math.max(d, MIN_DISCOUNT), max);
  return {
    counts,
    contexts,
    stats,
    d1: clamp(1 - (2 * y * m2) / m1, 1),
    d2: clamp(2 - (3 * y * m3) / m2, 2),
    d3: clamp(3 - (4 * y * m4) / m3, 3),
  };
}
