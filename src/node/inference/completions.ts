import type { Hex } from 'viem';
import type { ConcordContext } from '../../chain/context.ts';
import { BaseError } from '../../core/errors.ts';
import type { InferenceSession } from '../../inference/session.ts';
import { settleAndSlash } from '../../inference/settle.ts';
import { GPT2_END_OF_TEXT, Gpt2Tokenizer, type SamplingOptions, TokenTextStream } from '../../model/index.ts';
import type { TxLock } from '../txLock.ts';
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
};

/** What settling needs: the chain as this node (the gateway), the node's tx lock, and a log. */
export type CompletionSettler = {
  ctx: ConcordContext;
  txLock: TxLock;
  log: (line: string) => void;
};

/** One generated token as it streams: the text it releases ('' while held back) and the hosts behind it. */
export type TokenOutput = { token: number; text: string; votes: TokenVotes };

/** A finished completion: the tokens and text, why it ended, and what settling did. */
export type CompletionResult = {
  session: Hex;
  tokens: number[];
  /** All the text released, stop sequences cut off. */
  text: string;
  /** The part of `text` released only at the end (held back for a possible stop sequence or a split character). */
  tail: string;
  finishReason: FinishReason;
  /** Why generation failed, when `finishReason` is `error`. */
  error?: string;
  settlement: SettlementView | null;
  settlementError?: string;
};

/**
 * Runs a paid completion on the served model's gateway: opens the session
 * named by the request, generates up to `maxNewTokens` tokens (stopping at a
 * stop sequence, GPT-2's end-of-text token, or when `signal` aborts, say the
 * client went away), calls `onToken` for each, and then, whatever happened,
 * settles the tokens generated: `settleAndSlash` under the node's tx lock.
 * A refused settlement is reported in `settlementError`; the answer stands.
 * The session's reserved credits are released at the end either way.
 */
export async function runCompletion(
  job: CompletionJob,
  settler: CompletionSettler,
  onToken: (output: TokenOutput) => void,
  signal?: AbortSignal,
): Promise<CompletionResult> {
  try {
    return await serveAndSettle(job, settler, onToken, signal);
  } finally {
    job.paid.release();
  }
}

async function serveAndSettle(
  job: CompletionJob,
  settler: CompletionSettler,
  onToken: (output: TokenOutput) => void,
  signal?: AbortSignal,
): Promise<CompletionResult> {
  const { served, paid } = job;
  const session = served.gateway.openSession({ auth: { request: paid.request, signature: paid.signature } });
  const stopToken = served.tokenizer instanceof Gpt2Tokenizer ? GPT2_END_OF_TEXT : undefined;
  const decoder = new TokenTextStream(served.tokenizer);
  const filter = new StopSequenceFilter(job.stop);
  const tokens: number[] = [];
  let text = '';
  let finishReason: FinishReason = 'length';
  let error: string | undefined;
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
    });
    for await (const event of events) {
      tokens.push(event.token);
      const released =
        event.token === stopToken
          ? { text: drain().text, stopped: true }
          : filter.push(decoder.push(event.token));
      text += released.text;
      onToken({ token: event.token, text: released.text, votes: summarizeVotes(event.votes) });
      if (released.stopped) finishReason = 'stop';
      if (released.stopped || signal?.aborted) break;
    }
  } catch (err) {
    finishReason = 'error';
    error = describe(err);
  }
  let tail = '';
  if (finishReason !== 'stop') {
    const last = drain();
    tail = last.text;
    if (last.stopped && finishReason === 'length') finishReason = 'stop';
  }
  text += tail;
  const settled = await settle(session, job, settler);
  return {
    session: paid.session,
    tokens,
    text,
    tail,
    finishReason,
    ...(error === undefined ? {} : { error }),
    ...settled,
  };
}

/** Builds the session's settlement and sends it; a failure becomes `settlementError` (and a log line). */
async function settle(
  session: InferenceSession,
  job: CompletionJob,
  settler: CompletionSettler,
): Promise<Pick<CompletionResult, 'settlement' | 'settlementError'>> {
  try {
    const settlement = await session.settlement(job.paid.request);
    const outcome = await settler.txLock.run(() =>
      settleAndSlash(settler.ctx, settlement, job.paid.signature),
    );
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
    settler.log(`inference: settling session ${job.paid.session} failed: ${message}`);
    return { settlement: null, settlementError: message };
  }
}

/** A short, key-free description of an error for clients: its name and short message. */
function describe(err: unknown): string {
  return err instanceof BaseError
    ? `${err.name}: ${err.shortMessage}`
    : err instanceof Error
      ? err.message
      : String(err);
}
