import { InvalidNgramDraftError } from './errors.ts';
import { countGrams, GRAM_BASE, MAX_GRAM_LENGTH } from './ngramCounts.ts';
import type { Rng } from './rng.ts';
import { argmax, sampleWeights } from './sample.ts';

/** Largest vocabulary of an n-gram draft: token ids and per-node counts are stored as i8. */
export const MAX_DRAFT_VOCAB = 127;

/** How `NgramDraft.train` builds its tables. */
export type NgramDraftOptions = {
  /** Longest n-gram, in [1, 7]: the draft looks at up to order − 1 preceding tokens. */
  readonly order: number;
  /** Contexts (of one token or more) seen fewer times are dropped; the shorter context answers for them. */
  readonly minContextCount: number;
  /** Continuations seen fewer times after a context are not listed; the shorter context's distribution covers them. */
  readonly minCount: number;
  /** Subtracted from every listed count, in [0, 1]; the freed mass goes to the shorter context's distribution. */
  readonly discount: number;
};

/**
 * The tables of an n-gram draft: a trie of contexts read newest token first.
 * Nodes are in breadth-first order, the root (the empty context) first; the
 * children of a node are contiguous and sorted by token, the children of
 * earlier nodes first. Listed continuations follow node order, sorted by token
 * within a node.
 */
export type NgramTables = {
  readonly order: number;
  readonly vocabSize: number;
  readonly discount: number;
  /** Per node: the token its context has before its parent's (0 for the root). */
  readonly nodeToken: Int8Array;
  /** Per node: how many children it has. */
  readonly nodeChildren: Int8Array;
  /** Per node: how many continuations it lists. */
  readonly nodeEntries: Int8Array;
  /** Per node: how often its context was followed by any token in the training sequence. */
  readonly nodeTotal: Int32Array;
  /** Per listed continuation: its token. */
  readonly entryToken: Int8Array;
  /** Per listed continuation: how often it followed the node's context. */
  readonly entryCount: Int32Array;
};

/** Proposed tokens and, for each, the draft distribution q it was chosen from (q[i] has one entry per token id). */
export type DraftProposal = { readonly tokens: number[]; readonly q: Float64Array[] };

/** A context of the training sequence while the tables are built. */
type ContextCounts = { key: number; total: number; entries: [token: number, count: number][] };

/**
 * A small, deterministic token n-gram model for drafting in speculative
 * decoding. The next-token distribution interpolates from the empty context
 * up to the longest stored context that ends the given one (absolute
 * discounting over the listed continuations, the rest of each context's mass
 * spread like its one-shorter context, uniform below the empty context).
 * Pure f64 arithmetic in a fixed order: the same tables give the same
 * distributions everywhere.
 */
export class NgramDraft {
  readonly tables: NgramTables;
  /** Per node: index of its first child. */
  readonly #childStart: Int32Array;
  /** Per node: index of its first listed continuation. */
  readonly #entryStart: Int32Array;

  private constructor(tables: NgramTables, childStart: Int32Array, entryStart: Int32Array) {
    this.tables = tables;
    this.#childStart = childStart;
    this.#entryStart = entryStart;
  }

  /** Longest n-gram the draft uses. */
  get order(): number {
    return this.tables.order;
  }

  /** Number of token ids its distributions cover. */
  get vocabSize(): number {
    return this.tables.vocabSize;
  }

  /**
   * Counts the n-grams of `ids` (each in [0, vocabSize), vocabSize <= 127) up
   * to `options.order` and keeps what the options select. Same ids and
   * options, same tables. Throws InvalidNgramDraftError for bad options or ids.
   */
  static train(ids: Int32Array, vocabSize: number, options: NgramDraftOptions): NgramDraft {
    const { order, minContextCount, minCount, discount } = options;
    checkShape(order, vocabSize, discount);
    for (const [name, value] of [
      ['minContextCount', minContextCount],
      ['minCount', minCount],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1)
        throw new InvalidNgramDraftError(`${name} must be an integer >= 1 (got ${value})`);
    }
    if (ids.length === 0) throw new InvalidNgramDraftError('the training sequence is empty');
    for (const id of ids) {
      if (id < 0 || id >= vocabSize)
        throw new InvalidNgramDraftError(`token id ${id} is outside [0, ${vocabSize})`);
    }
    const depths: ContextCounts[][] = [];
    for (let d = 0; d < order; d++) {
      const contexts = new Map<number, ContextCounts>();
      for (const [gram, count] of countGrams(ids, d + 1)) {
        const key = reverseContext(Math.floor(gram / GRAM_BASE), d);
        let context = contexts.get(key);
        if (!context) contexts.set(key, (context = { key, total: 0, entries: [] }));
        context.total += count;
        if (count >= minCount) context.entries.push([gram % GRAM_BASE, count]);
      }
      const kept = [...contexts.values()].filter((c) => d === 0 || c.total >= minContextCount);
      depths.push(kept.sort((a, b) => a.key - b.key));
    }
    return NgramDraft.fromTables(tablesOf(depths, order, vocabSize, discount));
  }

  /** A draft over given tables (e.g. read from a file), after checking that they are consistent. */
  static fromTables(tables: NgramTables): NgramDraft {
    const { order, vocabSize, discount, nodeToken, nodeChildren, nodeEntries, nodeTotal } = tables;
    const { entryToken, entryCount } = tables;
    checkShape(order, vocabSize, discount);
    const n = nodeToken.length;
    if (n === 0 || nodeChildren.length !== n || nodeEntries.length !== n || nodeTotal.length !== n)
      throw new InvalidNgramDraftError('the node tables are empty or of different lengths');
    if (entryCount.length !== entryToken.length)
      throw new InvalidNgramDraftError('the continuation tables have different lengths');
    const childStart = new Int32Array(n);
    const entryStart = new Int32Array(n);
    let child = 1;
    let entry = 0;
    for (let i = 0; i < n; i++) {
      const children = nodeChildren[i] as number;
      const entries = nodeEntries[i] as number;
      const total = nodeTotal[i] as number;
      if (children < 0 || entries < 0 || total < 1 || (children > 0 && child <= i))
        throw new InvalidNgramDraftError(`node ${i} has bad counts or its children precede it`);
      childStart[i] = child;
      entryStart[i] = entry;
      if (child + children > n || entry + entries > entryToken.length)
        throw new InvalidNgramDraftError(`node ${i} points past the end of the tables`);
      checkSortedTokens(nodeToken, child, child + children, vocabSize, `children of node ${i}`);
      checkSortedTokens(entryToken, entry, entry + entries, vocabSize, `continuations of node ${i}`);
      let listed = 0;
      for (let e = entry; e < entry + entries; e++) {
        const count = entryCount[e] as number;
        if (count < 1) throw new InvalidNgramDraftError(`continuation ${e} has a count below 1`);
        listed += count;
      }
      if (listed > total)
        throw new InvalidNgramDraftError(`node ${i} lists more continuations than its total`);
      child += children;
      entry += entries;
    }
    if (child !== n || entry !== entryToken.length)
      throw new InvalidNgramDraftError('the tables hold nodes or continuations that no node owns');
    return new NgramDraft(tables, childStart, entryStart);
  }

  /** The draft's distribution of the token after `context` (one probability per token id, summing to 1). */
  distribution(context: readonly number[]): Float64Array {
    const { order, vocabSize } = this.tables;
    const p = new Float64Array(vocabSize).fill(1 / vocabSize);
    let node = 0;
    this.#mix(node, p);
    for (let d = 1; d < order && d <= context.length; d++) {
      node = this.#child(node, context[context.length - d] as number);
      if (node < 0) break;
      this.#mix(node, p);
    }
    return p;
  }

  /**
   * Proposes `k` tokens after `context`, each from the distribution after the
   * context and the tokens proposed before it: its most likely token (lowest
   * id on ties) without `rng`, a draw from it with `rng`.
   */
  draft(context: readonly number[], k: number, rng?: Rng): DraftProposal {
    if (!Number.isSafeInteger(k) || k < 0)
      throw new InvalidNgramDraftError(`the number of tokens to draft must be an integer >= 0 (got ${k})`);
    const tail = context.slice(Math.max(0, context.length - (this.tables.order - 1)));
    const tokens: number[] = [];
    const q: Float64Array[] = [];
    for (let i = 0; i < k; i++) {
      const dist = this.distribution(tail);
      const token = rng ? sampleWeights(dist, rng) : argmax(dist);
      tokens.push(token);
      q.push(dist);
      tail.push(token);
    }
    return { tokens, q };
  }

  /** p ← the node's discounted counts plus its left-over mass spread like p (the shorter context). */
  #mix(node: number, p: Float64Array): void {
    const { discount, nodeEntries, nodeTotal, entryToken, entryCount } = this.tables;
    const total = nodeTotal[node] as number;
    const from = this.#entryStart[node] as number;
    const to = from + (nodeEntries[node] as number);
    let listed = 0;
    for (let e = from; e < to; e++) listed += (entryCount[e] as number) - discount;
    const carry = (total - listed) / total;
    for (let x = 0; x < p.length; x++) p[x] = (p[x] as number) * carry;
    for (let e = from; e < to; e++) {
      const x = entryToken[e] as number;
      p[x] = (p[x] as number) + ((entryCount[e] as number) - discount) / total;
    }
  }

  /** Index of the child of `node` reached by `token`, or −1 (binary search over the sorted children). */
  #child(node: number, token: number): number {
    const { nodeToken, nodeChildren } = this.tables;
    let lo = this.#childStart[node] as number;
    let hi = lo + (nodeChildren[node] as number);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = nodeToken[mid] as number;
      if (t === token) return mid;
      if (t < token) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }
}

/** Checks the fields every draft has: order, vocabulary size and discount. */
function checkShape(order: number, vocabSize: number, discount: number): void {
  if (!Number.isInteger(order) || order < 1 || order > MAX_GRAM_LENGTH)
    throw new InvalidNgramDraftError(`order must be an integer in [1, ${MAX_GRAM_LENGTH}] (got ${order})`);
  if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > MAX_DRAFT_VOCAB)
    throw new InvalidNgramDraftError(
      `vocabSize must be an integer in [1, ${MAX_DRAFT_VOCAB}] (got ${vocabSize})`,
    );
  if (!Number.isFinite(discount) || discount < 0 || discount > 1)
    throw new InvalidNgramDraftError(`discount must be in [0, 1] (got ${discount})`);
}

/** Checks that tokens[from..to) are ids in [0, vocabSize), strictly increasing. */
function checkSortedTokens(
  tokens: Int8Array,
  from: number,
  to: number,
  vocabSize: number,
  what: string,
): void {
  for (let i = from; i < to; i++) {
    const t = tokens[i] as number;
    if (t < 0 || t >= vocabSize || (i > from && t <= (tokens[i - 1] as number)))
      throw new InvalidNgramDraftError(`the ${what} are not distinct ids in [0, ${vocabSize}) in order`);
  }
}

/**
 * A packed context of `length` ids (oldest most significant) repacked newest
 * most significant, so that sorting by it orders contexts breadth-first by
 * their trie path (parent first, then the older token).
 */
function reverseContext(context: number, length: number): number {
  let key = 0;
  for (let i = 0; i < length; i++) {
    key = key * GRAM_BASE + (context % GRAM_BASE);
    context = Math.floor(context / GRAM_BASE);
  }
  return key;
}

/** Lays the kept contexts of every depth (each sorted by reversed key) out as trie tables. */
function tablesOf(
  depths: ContextCounts[][],
  order: number,
  vocabSize: number,
  discount: number,
): NgramTables {
  const nodes = depths.flat();
  const children = new Map<string, number>();
  depths.forEach((contexts, d) => {
    if (d === 0) return;
    for (const c of contexts) {
      const parent = `${d - 1}:${Math.floor(c.key / GRAM_BASE)}`;
      children.set(parent, (children.get(parent) ?? 0) + 1);
    }
  });
  const entries = nodes.flatMap((c) => c.entries.sort((a, b) => a[0] - b[0]));
  return {
    order,
    vocabSize,
    discount,
    nodeToken: Int8Array.from(
      depths.flatMap((contexts, d) => contexts.map((c) => (d === 0 ? 0 : c.key % GRAM_BASE))),
    ),
    nodeChildren: Int8Array.from(
      depths.flatMap((contexts, d) => contexts.map((c) => children.get(`${d}:${c.key}`) ?? 0)),
    ),
    nodeEntries: Int8Array.from(nodes.map((c) => c.entries.length)),
    nodeTotal: Int32Array.from(nodes.map((c) => c.total)),
    entryToken: Int8Array.from(entries.map(([token]) => token)),
    entryCount: Int32Array.from(entries.map(([, count]) => count)),
  };
}
