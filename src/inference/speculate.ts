import {
  checkSamplingOptions,
  type DraftProposal,
  Rng,
  type SamplingOptions,
  sampleToken,
  sampleWeights,
  tokenDistribution,
} from '../model/index.ts';
import type { DecodeOptions } from './decoder.ts';
import { InvalidSpeculationOptionsError } from './errors.ts';

/** Draft tokens per verification pass when the options do not say. */
export const DEFAULT_DRAFT_TOKENS = 4;

/**
 * The model being decoded, as speculative decoding drives it: a per-session
 * decoder holding a cache window of at most `capacity` tokens.
 */
export interface SpeculationTarget {
  /** Most tokens the cache window holds (the model's context length). */
  readonly capacity: number;
  /** Tokens in the target's cache window. */
  readonly length: number;
  /**
   * Appends tokens and resolves to the logits (logitRows × V, row-major) of
   * the last logitRows of them. One network pass for all. When length +
   * tokens.length would exceed `capacity`, the window first slides (keeps its
   * newest entries); `speculativeDecode` only lets that happen when appending
   * a single token, exactly where one-token-at-a-time decoding slides.
   */
  forward(tokens: readonly number[], logitRows: number): Promise<Float32Array>;
  /** The next forward keeps only the first `length` cache entries (rejected draft tokens are forgotten). */
  rollback(length: number): void;
}

/**
 * A cheap model that proposes continuations: `k` tokens after `context`,
 * each with the distribution q it was chosen from — its most likely token
 * without `rng`, a draw from q with `rng` (then q must be what it drew from).
 */
export interface DraftModel {
  draft(context: readonly number[], k: number, rng?: Rng): DraftProposal;
}

/** One verification pass: draft tokens proposed, and how many of them (a prefix) were accepted. */
export type SpeculationRound = { readonly proposed: number; readonly accepted: number };

/** Options of `speculativeDecode`: those of `decode`, the draft length and a per-pass report. */
export type SpeculateOptions = DecodeOptions & {
  /** Draft tokens per verification pass (default DEFAULT_DRAFT_TOKENS); 0 decodes one token per pass. */
  draftTokens?: number;
  /** Called after every verification pass. */
  onRound?: (round: SpeculationRound) => void;
};

const NO_PROPOSAL: DraftProposal = { tokens: [], q: [] };

/**
 * Continues `prompt` like `decode` (prompt clipped to the target's capacity,
 * `startToken` fed for an empty prompt, `stopToken` and `maxNewTokens`), but
 * per target pass: the draft proposes up to k tokens, the target scores the
 * pending token and the proposal in ONE `forward`, and the standard
 * acceptance rule keeps a prefix of the proposal plus one token of its own
 * (a correction or, when all are accepted, a bonus token); the rejected
 * entries are rolled back. With temperature 0 the tokens are exactly those of
 * one-token-at-a-time greedy decoding on the same target; when sampling they
 * follow the same distribution (the temperature/top-k/top-p distribution of
 * `sampleToken`), drawn differently. Every draw comes from `new Rng(seed)`,
 * so a run is reproducible.
 */
export async function* speculativeDecode(
  target: SpeculationTarget,
  draft: DraftModel,
  prompt: readonly number[],
  options: SpeculateOptions,
): AsyncGenerator<number, void, void> {
  const k = options.draftTokens ?? DEFAULT_DRAFT_TOKENS;
  if (!Number.isSafeInteger(k) || k < 0) {
    throw new InvalidSpeculationOptionsError(`draftTokens must be an integer >= 0 (got ${k}).`);
  }
  const { temperature } = checkSamplingOptions(options);
  const rng = new Rng(options.seed);
  const draftRng = temperature > 0 ? rng : undefined;
  const context = prompt.slice(-target.capacity);
  if (context.length === 0) context.push(options.startToken ?? 0);
  let pending = [...context];
  for (let produced = 0; produced < options.maxNewTokens; ) {
    const free = target.capacity - target.length - pending.length;
    const n = Math.max(0, Math.min(k, free, options.maxNewTokens - produced - 1));
    const proposal = n > 0 ? draft.draft(context, n, draftRng) : NO_PROPOSAL;
    const logits = await target.forward([...pending, ...proposal.tokens], n + 1);
    const { tokens, accepted } = verify(logits, proposal, rng, options);
    target.rollback(target.length - (n - accepted));
    options.onRound?.({ proposed: n, accepted });
    for (const token of tokens) {
      produced++;
      context.push(token);
      yield token;
      if (token === options.stopToken || produced === options.maxNewTokens) return;
    }
    pending = tokens.slice(-1);
  }
}

/**
 * The standard acceptance rule over the logits of the pending token and the
 * n proposed ones (n + 1 rows): draft token x is accepted with probability
 * min(1, p(x)/q(x)), p the sampling distribution of its row; at the first
 * rejection the next token is drawn from normalize(max(0, p − q)); if all are
 * accepted, from the last row.
 */
function verify(
  logits: Float32Array,
  proposal: DraftProposal,
  rng: Rng,
  options: SamplingOptions,
): { tokens: number[]; accepted: number } {
  const n = proposal.tokens.length;
  const V = logits.length / (n + 1);
  const row = (i: number) => logits.subarray(i * V, (i + 1) * V);
  const tokens: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = proposal.tokens[i] as number;
    const q = proposal.q[i] as Float64Array;
    const p = tokenDistribution(row(i), options);
    const px = p[x] ?? 0;
    const qx = q[x] ?? 0;
    if (px > 0 && (px >= qx || rng.uniform() * qx < px)) {
      tokens.push(x);
      continue;
    }
    tokens.push(residualDraw(p, q, rng));
    return { tokens, accepted: i };
  }
  tokens.push(sampleToken(row(n), rng, options));
  return { tokens, accepted: n };
}

/** A draw from normalize(max(0, p − q)); from p if rounding left nothing (p ≤ q everywhere). */
function residualDraw(p: Float64Array, q: Float64Array, rng: Rng): number {
  const residual = new Float64Array(p.length);
  let total = 0;
  for (let y = 0; y < p.length; y++) {
    const d = (p[y] as number) - (q[y] ?? 0);
    if (d > 0) {
      residual[y] = d;
      total += d;
    }
  }
  return sampleWeights(total > 0 ? residual : p, rng);
}
