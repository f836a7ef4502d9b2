import type { Hex } from 'viem';
import type { ConcordContext } from '../../chain/context.ts';
import { receiptForTokens } from '../../chain/inferenceReceipt.ts';
import { BaseError } from '../../core/errors.ts';
import type { InferenceSession } from '../../inference/session.ts';
import { settleAndSlash } from '../../inference/settle.ts';
import { GPT2_END_OF_TEXT, Gpt2Tokenizer, type SamplingOptions, TokenTextStream } from '../../model/index.ts';
import type { TxLock } from '../txLock.ts';
import { generationFailure } from './completionErrors.ts';
import { type TokenLogprob, tokenLogprob } from './logprobs.ts';
import { type FinishReason, type SettlementView, summarizeVotes, type TokenVotes } from './openaiFormat.ts';
import type { PaidQuery } from './querier.ts';
import { StopSequenceFilter } from './stopSequences.ts';
import type { ServedModel } from './types.ts';

/** One completion to run: the served model, the paid request, the prompt's tokens and how to sample. */
export type CompletionJob = {
  served: ServedModel;
  paid: PaidQuery;
  promptTokens: readonly number[];
  sampling: Required<SamplingOptions>;
  seed: number;
  /** Text stop sequences (OpenAI `stop`). */
  stop: readonly string[];
  /** With logprobs asked: how many top alternatives each token lists (0 for none); absent when not asked. */
  topLogprobs?: number;
};

/** What settling needs: the chain as this node (the gateway), the node's tx lock, and a log. */
export type CompletionSettler = {
  ctx: ConcordContext;
  txLock: TxLock;
  log: (line: string) => void;
};

/** One generated token as it streams: the text it releases ('' while held back), the hosts behind it, and its logprobs when asked. */
export type TokenOutput = { token: number; text: string; votes: TokenVotes; logprob?: TokenLogprob };

/** How a completion reports to the HTTP side while it runs. */
export type CompletionHooks = {
  /** Called with each token; returns whether it reached the client (a streamed chunk was written). */
  onToken?: (output: TokenOutput) => boolean;
  /** Aborts generation after the current token: the client went away. */
  signal?: AbortSignal;
  /** Called once generation is over, before settling (gives the admission slot back). */
  onGenerated?: () => void;
};

/** A finished completion: the tokens and text, how it ended, what was billed and what settling did. */
export type CompletionResult = {
  session: Hex;
  tokens: number[];
  /** Each token's logprobs (`job.topLogprobs` given), else empty. */
  logprobs: TokenLogprob[];
  /** All the text released, stop sequences cut off. */
  text: string;
  /** The part of `text` released only at the end (held back for a possible stop sequence or a split character). */
  tail: string;
  /** Why generation ended (meaningful when it did not fail). */
  finishReason: FinishReason;
  /**
   * Why generation failed, as the error to answer with (`generationFailure`:
   * 503 `HOSTS_UNAVAILABLE`, 502 `NO_CONSENSUS`, ...); absent when it did not.
   */
  failure?: unknown;
  /**
   * Tokens the querier pays for: all generated when generation ended normally
   * and the client stayed, else only those `onToken` delivered.
   */
  billedTokens: number;
  /** The settlement; null when it failed, or when nothing was billed and nobody is to be slashed (no transaction). */
  settlement: SettlementView | null;
  settlementError?: string;
};

/**
 * Runs a paid completion on the served model's gateway: opens the session
 * named by the request, generates up to `maxNewTokens` tokens (stopping at a
 * stop sequence, GPT-2's end-of-text token, or when `hooks.signal` aborts, say
 * the client went away), calls `hooks.onToken` for each, and then, whatever
 * happened, settles under the node's tx lock (`settleAndSlash`), billing only
 * what the client got: every token when the answer completed, else the tokens
 * delivered before the failure or the client left. A session that bills
 * nothing and slashes nobody is not settled. A refused settlement is reported
 * in `settlementError`; the answer stands. The session's reserved credits are
 * released at the end either way.
 */
export async function runCompletion(
  job: CompletionJob,
  settler: CompletionSettler,
  hooks: CompletionHooks = {},
): Promise<CompletionResult> {
  try {
    return await serveAndSettle(job, settler, hooks);
  } finally {
    job.paid.release();
  }
}

async function serveAndSettle(
  job: CompletionJob,
  settler: CompletionSettler,
  hooks: CompletionHooks,
): Promise<CompletionResult> {
  const { served, paid } = job;
  const { signal } = hooks;
  const session = served.gateway.openSession({ auth: { request: paid.request, signature: paid.signature } });
  const stopToken = served.tokenizer instanceof Gpt2Tokenizer ? GPT2_END_OF_TEXT : undefined;
  const decoder = new TokenTextStream(served.tokenizer);
  const filter = new StopSequenceFilter(job.stop);
  const tokens: number[] = [];
  const logprobs: TokenLogprob[] = [];
  let logits: Float32Array | undefined;
  let delivered = 0;
  let text = '';
  let finishReason: FinishReason = 'length';
  let failure: unknown;
  /** Releases what the decoder and the stop filter hold back, once no more tokens come. */
  const drain = () => {
    const last = filter.push(decoder.flush());
    return { text: last.text + filter.flush(), stopped: last.stopped };
  };
  try {
    const events = session.generate(job.promptTokens, {
      ...job.sampling,
      seed: job.seed,
      maxNewTokens: paid.maxNewTokens,
      ...(stopToken === undefined ? {} : { stopToken }),
      // Greedy answers speculate (the same tokens, fewer round trips); sampled ones decode one token
      // per pass, so a seed gives exactly the tokens of local decoding.
      ...(served.draft && job.sampling.temperature === 0 ? { draft: served.draft } : {}),
      // Logprobs need each token's logits: one token per pass then.
      ...(job.topLogprobs === undefined ? {} : { onLogits: (l: Float32Array) => (logits = l) }),
    });
    for await (const event of events) {
      tokens.push(event.token);
      const logprob =
        job.topLogprobs === undefined || logits === undefined
          ? undefined
          : tokenLogprob(logits, event.token, job.topLogprobs);
      if (logprob !== undefined) logprobs.push(logprob);
      const released =
        event.token === stopToken
          ? { text: drain().text, stopped: true }
          : filter.push(decoder.push(event.token));
      text += released.text;
      const votes = summarizeVotes(event.votes);
      if (
        hooks.onToken?.({ token: event.token, text: released.text, votes, ...(logprob ? { logprob } : {}) })
      )
        delivered++;
      if (released.stopped) finishReason = 'stop';
      if (released.stopped || signal?.aborted) break;
    }
  } catch (err) {
    failure = generationFailure(err, session.failures);
    settler.log(`inference: session ${paid.session} failed after ${tokens.length} tokens: ${describe(err)}`);
  } finally {
    hooks.onGenerated?.();
  }
  let tail = '';
  if (finishReason !== 'stop') {
    const last = drain();
    tail = last.text;
    if (last.stopped) finishReason = 'stop';
  }
  text += tail;
  const billedTokens = failure !== undefined || signal?.aborted ? delivered : tokens.length;
  const settled = await settleSession(session, paid, settler, billedTokens);
  return {
    session: paid.session,
    tokens,
    logprobs,
    text,
    tail,
    finishReason,
    ...(failure === undefined ? {} : { failure }),
    billedTokens,
    ...settled,
  };
}

/**
 * Builds the session's settlement billing `billedTokens` and sends it under
 * the node's tx lock, unless it bills nothing and accuses nobody; a failure
 * becomes `settlementError` (and a log line). Completions and embeddings (0
 * tokens billed) settle through it.
 */
export async function settleSession(
  session: InferenceSession,
  paid: PaidQuery,
  settler: CompletionSettler,
  billedTokens: number,
): Promise<Pick<CompletionResult, 'settlement' | 'settlementError'>> {
  try {
    const built = await session.settlement(paid.request);
    if (billedTokens === 0 && built.evidence.length === 0) return { settlement: null };
    const settlement = { ...built, receipt: receiptForTokens(built.receipt, BigInt(billedTokens)) };
    const outcome = await settler.txLock.run(() => settleAndSlash(settler.ctx, settlement, paid.signature));
    for (const u of outcome.unslashed) settler.log(`inference: slashing ${u.host} refused: ${u.error}`);
    return {
      settlement: {
        txHash: outcome.txHash,
        credits: outcome.credits.toString(),
        slashed: outcome.slashed.map((s) => ({
          host: s.host,
          amount: s.amount.toString(),
          txHash: s.txHash,
        })),
      },
    };
  } catch (err) {
    const message = describe(err);
    settler.log(`inference: settling session ${paid.session} failed: ${message}`);
    return { settlement: null, settlementError: message };
  }
}

/** A short, key-free description of an error for clients: its name and short message. */
export function describe(err: unknown): string {
  return err instanceof BaseError
    ? `${err.name}: ${err.shortMessage}`
    : err instanceof Error
      ? err.message
      : String(err);
}
