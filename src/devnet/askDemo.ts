import { type Address, getAddress, type Hex, toHex } from 'viem';
import { buyCredits } from '../chain/actions/buyCredits.ts';
import { creditsOf } from '../chain/actions/creditsOf.ts';
import { depositCredits } from '../chain/actions/depositCredits.ts';
import { depositOf } from '../chain/actions/depositOf.ts';
import type { ConcordContext } from '../chain/context.ts';
import { type InferenceRequest, signRequest } from '../chain/inferenceRequest.ts';
import { requestToJson } from '../chain/requestJson.ts';
import { NodeApiError } from '../client/errors.ts';
import type { CompletionChunk, ModelListEntry, NodeClient } from '../client/nodeClient.ts';
import { chainNow } from '../node/chainTime.ts';
import type { SettlementView } from '../node/inference/openaiFormat.ts';
import { DevnetAnswerError, DevnetModelNotReadyError } from './errors.ts';

/** The prompt the devnet asks its freshly trained model. */
export const DEMO_PROMPT = 'The state of the Union is';
/** The sampling of the demo answer (OpenAI parameter names); a fixed seed makes it reproducible. */
export const DEMO_SAMPLING = { max_tokens: 48, temperature: 0.8, top_k: 40, seed: 7 } as const;
/** How long a signed demo request stays valid, in seconds. */
const REQUEST_LIFETIME_SECONDS = 3600n;

/**
 * Polls the gateway's `GET /v1/models` until `name` at `versionIndex` is
 * `ready`; throws DevnetModelNotReadyError (with the last status) after
 * `timeoutMs`, or at once when the node reports it `failed`.
 */
export async function waitForModelReady(
  gateway: NodeClient,
  name: string,
  versionIndex: bigint,
  timeoutMs = 180_000,
): Promise<ModelListEntry> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not listed';
  for (;;) {
    const entry = await gateway
      .models()
      .then((list) => list.find((m) => m.id === name && BigInt(m.concord.versionIndex) === versionIndex))
      .catch((err: Error) => {
        // A node without the route will never list the model; one still starting may answer later.
        if (err instanceof NodeApiError && err.status === 404) throw err;
        last = `${err.name}: ${err.message}`;
        return undefined;
      });
    if (entry !== undefined)
      last = `${entry.concord.state}${entry.concord.error ? ` (${entry.concord.error})` : ''}`;
    if (entry?.concord.state === 'ready') return entry;
    if (entry?.concord.state === 'failed' || Date.now() > deadline) {
      throw new DevnetModelNotReadyError(
        `${gateway.baseUrl} does not serve ${name} version ${versionIndex}: ${last}.`,
        { hint: 'Read the node logs in <dir>/node*/node.log.' },
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Buys credits for the signer when it holds fewer than `needed` (ten times `needed`, so later asks need no purchase). */
export async function ensureCredits(
  querier: ConcordContext,
  needed: bigint,
): Promise<{ held: bigint; bought: bigint }> {
  const held = await creditsOf(querier);
  if (held >= needed) return { held, bought: 0n };
  const bought = needed * 10n - held;
  await buyCredits(querier, { credits: bought });
  return { held: held + bought, bought };
}

/**
 * Locks at least `needed` of the querier's credits for `gateway`, as a
 * gateway and its hosts require before serving a request capped at `needed`.
 * With `buy`, credits are bought first when the querier holds too few;
 * without, it deposits what it holds (the gateway then names the shortfall).
 */
export async function ensureDeposit(
  querier: ConcordContext,
  gateway: Address,
  needed: bigint,
  options: { buy: boolean },
): Promise<void> {
  const held = await depositOf(querier, { querier: querier.account.address, gateway });
  const short = needed - held.granted - held.bought;
  if (short <= 0n) return;
  if (options.buy) await ensureCredits(querier, short);
  const own = await creditsOf(querier);
  let credits = short;
  if (own < credits) credits = own; // deposit what it holds; the gateway names the rest
  if (credits > 0n) await depositCredits(querier, { gateway, credits });
}

/**
 * The querier's signed request for one session on `model` at the gateway's
 * price, paying for at most `maxTokens` tokens; a random nonce makes every
 * request a new session.
 */
export async function signedRequest(
  querier: ConcordContext,
  model: ModelListEntry,
  maxTokens: number,
): Promise<{ request: InferenceRequest; signature: Hex }> {
  const creditsPerToken = BigInt(model.concord.creditsPerToken);
  const request: InferenceRequest = {
    querier: querier.account.address,
    gateway: getAddress(model.concord.gateway),
    modelId: BigInt(model.concord.modelId),
    versionIndex: BigInt(model.concord.versionIndex),
    creditsPerToken,
    maxCredits: creditsPerToken * BigInt(maxTokens),
    nonce: BigInt(toHex(crypto.getRandomValues(new Uint8Array(16)))),
    deadline: BigInt(await chainNow(querier)) + REQUEST_LIFETIME_SECONDS,
  };
  if (querier.account.type !== 'local') {
    throw new DevnetAnswerError('The querier account cannot sign requests.', {
      hint: 'Use a context made from a private key.',
    });
  }
  const signature = await signRequest(querier.account, request, {
    chainId: querier.chain.id,
    accessCredits: querier.addresses.accessCredits,
  });
  return { request, signature };
}

/** The streamed demo answer, as the gateway reported it. */
export type DemoAnswer = {
  prompt: string;
  text: string;
  tokens: number;
  session: Hex | null;
  finishReason: string | null;
  settlement: SettlementView | null;
  settlementError?: string;
  gateway: Address;
  querier: Address;
  /** Hosts outvoted on at least one token. */
  outvoted: Address[];
};

/** What {@link askDemo} needs. */
export type AskDemoOptions = {
  gateway: NodeClient;
  model: ModelListEntry;
  querier: ConcordContext;
  prompt?: string;
  /** Called with each token's text as it arrives. */
  onToken?: (text: string, chunk: CompletionChunk) => void;
};

/**
 * Asks the gateway for a streamed completion of the demo prompt, paid by the
 * querier's signed request (depositing credits for the gateway first, bought
 * when it holds too few), and
 * collects the answer, its session and the settlement from the final chunk.
 */
export async function askDemo(options: AskDemoOptions): Promise<DemoAnswer> {
  const prompt = options.prompt ?? DEMO_PROMPT;
  const { model, querier } = options;
  const { request, signature } = await signedRequest(querier, model, DEMO_SAMPLING.max_tokens);
  await ensureDeposit(querier, request.gateway, request.maxCredits, { buy: true });
  const answer: DemoAnswer = {
    prompt,
    text: '',
    tokens: 0,
    session: null,
    finishReason: null,
    settlement: null,
    gateway: request.gateway,
    querier: request.querier,
    outvoted: [],
  };
  const outvoted = new Set<Address>();
  const stream = options.gateway.streamCompletion({
    model: model.id,
    prompt,
    ...DEMO_SAMPLING,
    concord: { request: requestToJson(request), signature },
  });
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    const text = choice?.text ?? choice?.delta?.content ?? '';
    for (const host of chunk.concord?.outvoted ?? []) outvoted.add(host);
    answer.text += text;
    if (chunk.concord?.token !== undefined) answer.tokens += 1;
    if (text !== '') options.onToken?.(text, chunk);
    if (chunk.usage !== undefined) answer.tokens = chunk.usage.completion_tokens;
    if (choice?.finish_reason) answer.finishReason = choice.finish_reason;
    if (chunk.concord?.session !== undefined) answer.session = chunk.concord.session;
    if (chunk.concord?.settlement !== undefined) answer.settlement = chunk.concord.settlement;
    if (chunk.concord?.settlementError !== undefined) answer.settlementError = chunk.concord.settlementError;
  }
  if (answer.finishReason === null) {
    throw new DevnetAnswerError(
      `The answer stream from ${options.gateway.baseUrl} ended without a final chunk.`,
      {
        hint: 'Read the gateway node’s log in <dir>/node*/node.log.',
      },
    );
  }
  answer.outvoted = [...outvoted];
  return answer;
}
