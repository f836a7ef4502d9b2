import type { Hex } from 'viem';
import { generationFailure } from './completionErrors.ts';
import { type CompletionSettler, describe, settleSession } from './completions.ts';
import { type SettlementView, summarizeVotes, type TokenVotes } from './openaiFormat.ts';
import type { PaidQuery } from './querier.ts';
import type { ServedModel } from './types.ts';

/** One embedding request to run: the served model, the paid request, and each input's tokens. */
export type EmbeddingJob = {
  served: ServedModel;
  paid: PaidQuery;
  /** Each input's tokens (1 to contextLength each). */
  inputs: readonly (readonly number[])[];
};

/** What an embedding request gave: a vector per input computed, the hosts behind them, the settlement. */
export type EmbeddingResult = {
  session: Hex;
  /** One per input, in order (fewer when it failed or the client left). */
  embeddings: Float32Array[];
  /** The hosts that agreed with, or were outvoted by, the consensus on any exchange. */
  votes: TokenVotes;
  /** Why computing failed, as the error to answer with (`generationFailure`); absent when it did not. */
  failure?: unknown;
  settlement: SettlementView | null;
  settlementError?: string;
};

/**
 * Computes the embeddings of `job.inputs` on the served model's gateway, in
 * one session opened with the paid request (`InferenceSession.embed`: each
 * input's prefill through the hosts, mean-pooled), stopping early when
 * `hooks.signal` aborts; then settles like a completion that generated no
 * token (`settleSession` with 0 tokens billed: a transaction only when a host
 * is to be slashed). `hooks.onGenerated` is called once computing is over,
 * before settling; the request's reserved credits are released at the end.
 */
export async function runEmbedding(
  job: EmbeddingJob,
  settler: CompletionSettler,
  hooks: { signal?: AbortSignal; onGenerated?: () => void } = {},
): Promise<EmbeddingResult> {
  const { served, paid } = job;
  try {
    const session = served.gateway.openSession({
      auth: { request: paid.request, signature: paid.signature },
    });
    const embeddings: Float32Array[] = [];
    const votes = [];
    let failure: unknown;
    try {
      for (const tokens of job.inputs) {
        if (hooks.signal?.aborted) break;
        const out = await session.embed(tokens);
        embeddings.push(out.embedding);
        votes.push(...out.votes);
      }
    } catch (err) {
      failure = generationFailure(err, session.failures);
      settler.log(`inference: embedding session ${paid.session} failed: ${describe(err)}`);
    } finally {
      hooks.onGenerated?.();
    }
    const settled = await settleSession(session, paid, settler, 0);
    return {
      session: paid.session,
      embeddings,
      votes: summarizeVotes(votes),
      ...(failure === undefined ? {} : { failure }),
      ...settled,
    };
  } finally {
    paid.release();
  }
}
