import { type Hex, isAddressEqual, toHex } from 'viem';
import { inferenceSettlementAbi } from '../../../generated/contracts/index.ts';
import { creditsOf } from '../../chain/actions/creditsOf.ts';
import { depositCredits } from '../../chain/actions/depositCredits.ts';
import { depositOf } from '../../chain/actions/depositOf.ts';
import type { ConcordContext } from '../../chain/context.ts';
import {
  type CreditsDomain,
  type InferenceRequest,
  sessionIdOf,
  signRequest,
  verifyRequest,
} from '../../chain/inferenceRequest.ts';
import type { Settings } from '../../store/settings.ts';
import { chainNow } from '../chainTime.ts';
import type { TxLock } from '../txLock.ts';
import {
  InsufficientCreditsError,
  RequestExpiredError,
  RequestGatewayMismatchError,
  RequestModelMismatchError,
  RequestPriceTooLowError,
  RequestReplayedError,
  RequestSignatureInvalidError,
} from './completionErrors.ts';
import type { CreditReservations } from './creditReservations.ts';
import { depositShortfall } from './deposit.ts';
import type { ServedModel } from './types.ts';
import { claimSession } from './usedSessions.ts';

/** Seconds a request must still be valid for when it arrives: time to generate and settle. */
export const MIN_REQUEST_VALIDITY_SECONDS = 60;
/** How long a request the node signs for itself (API-token mode) stays valid. */
export const SELF_REQUEST_VALIDITY_SECONDS = 3600;

/** What the payment checks need: the chain (as this node, the gateway), the replay records and the node's price. */
export type QuerierDeps = {
  ctx: ConcordContext;
  /** Where served session ids are recorded (the node store's settings). */
  settings: Pick<Settings, 'get' | 'set'>;
  /** Credits this gateway asks per generated token. */
  creditsPerToken: bigint;
  /** The node's transaction lock (a self-paid request deposits under it). */
  txLock: TxLock;
  /** The credits this gateway promised to sessions it has not settled yet. */
  reservations: CreditReservations;
};

/** A paid query: the request and its signature (what settlement spends), and how many tokens they pay for. */
export type PaidQuery = {
  request: InferenceRequest;
  signature: Hex;
  session: Hex;
  /** `max_tokens`, clipped to what `maxCredits / creditsPerToken` pays for. */
  maxNewTokens: number;
  /** Gives the session's reserved credits back; call it once the session is settled (or failed). */
  release: () => void;
};

/** The AccessCredits domain requests are signed in on this chain. */
export function creditsDomain(ctx: Pick<ConcordContext, 'chain' | 'addresses'>): CreditsDomain {
  return { chainId: ctx.chain.id, accessCredits: ctx.addresses.accessCredits };
}

/**
 * Admits a querier-signed request for `served`: the signature is the
 * querier's (RequestSignatureInvalidError), it names this node as gateway, the
 * served model version, at least this node's price, and a deadline at least a
 * minute away; its session was never served here nor settled on chain
 * (RequestReplayedError); and the querier's deposit for this gateway covers
 * the request's cap, on top of the caps of its sessions still open here,
 * until its deadline (InsufficientCreditsError, see `depositShortfall`): hosts
 * refuse a session that is not funded. Records the session as served before
 * resolving, so the same request is refused from then on, also after a
 * restart, and reserves its cap until `PaidQuery.release`.
 */
export async function admitSignedRequest(
  deps: QuerierDeps,
  served: ServedModel,
  request: InferenceRequest,
  signature: Hex,
  maxTokens: number,
): Promise<PaidQuery> {
  const { ctx } = deps;
  let valid = false;
  try {
    valid = await verifyRequest(request, signature, creditsDomain(ctx));
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new RequestSignatureInvalidError(
      `The signature is not ${request.querier}'s signature of this request.`,
      {
        hint: 'Sign the request with signRequest (an AccessCredits voucher whose nonce is sessionIdOf(request)) on this chain.',
      },
    );
  }
  if (!isAddressEqual(request.gateway, ctx.account.address)) {
    throw new RequestGatewayMismatchError(`The request names gateway ${request.gateway}, not this node.`, {
      hint: `Sign a request whose gateway is ${ctx.account.address} (see GET /v1/models).`,
    });
  }
  if (request.modelId !== served.modelId || request.versionIndex !== served.versionIndex) {
    throw new RequestModelMismatchError(
      `The request is for model ${request.modelId} version ${request.versionIndex}, but ${served.name} is model ${served.modelId} version ${served.versionIndex}.`,
      { hint: 'Take modelId and versionIndex from GET /v1/models.' },
    );
  }
  if (request.creditsPerToken < deps.creditsPerToken) {
    throw new RequestPriceTooLowError(
      `The request pays ${request.creditsPerToken} credits per token; this gateway asks ${deps.creditsPerToken}.`,
      { hint: 'Take creditsPerToken from GET /v1/models.' },
    );
  }
  const now = await chainNow(ctx);
  if (request.deadline < BigInt(now + MIN_REQUEST_VALIDITY_SECONDS)) {
    throw new RequestExpiredError(
      `The request's deadline ${request.deadline} is past or less than a minute away.`,
      {
        details: `chain time ${now}`,
        hint: `Sign a new request with a deadline at least ${MIN_REQUEST_VALIDITY_SECONDS} s ahead.`,
      },
    );
  }
  const session = sessionIdOf(request);
  if (await settledOnChain(ctx, session)) throw replayed(session);
  return await admit(deps, request, signature, maxTokens);
}

/**
 * The request this node signs as its own querier (API-token mode): gateway and
 * querier are this node, at its price, capped at `maxTokens`, with a fresh
 * random nonce and a deadline an hour ahead (within the withdrawal delay).
 * The node's own deposit for itself pays: it is topped up from the node's
 * credits first when it holds less than the request's cap on top of the caps
 * of the node's own sessions still open.
 */
export async function admitSelfPaidRequest(
  deps: QuerierDeps,
  served: ServedModel,
  maxTokens: number,
): Promise<PaidQuery> {
  const { ctx } = deps;
  const { request, signature } = await selfSignedRequest(ctx, served, deps.creditsPerToken, maxTokens);
  // Topped up inside the reservation's check, so concurrent self-paid sessions each see the
  // caps of the ones admitted before them.
  const topUp = (needed: bigint) =>
    deps.txLock.run(async () => {
      const held = await depositOf(ctx, { querier: request.querier, gateway: request.gateway });
      const short = needed - held.granted - held.bought;
      const own = await creditsOf(ctx);
      if (short > 0n && own >= short) await depositCredits(ctx, { gateway: request.gateway, credits: short });
    });
  return await admit(deps, request, signature, maxTokens, topUp);
}

/**
 * A request this node signs as querier and gateway for `served`, at
 * `creditsPerToken` and capped at `maxTokens`, with a fresh random nonce and a
 * deadline an hour ahead (`SELF_REQUEST_VALIDITY_SECONDS`). At price 0 it is
 * a free session (nothing to deposit, nothing minted).
 */
export async function selfSignedRequest(
  ctx: ConcordContext,
  served: Pick<ServedModel, 'modelId' | 'versionIndex'>,
  creditsPerToken: bigint,
  maxTokens: number,
): Promise<{ request: InferenceRequest; signature: Hex }> {
  const request: InferenceRequest = {
    querier: ctx.account.address,
    gateway: ctx.account.address,
    modelId: served.modelId,
    versionIndex: served.versionIndex,
    creditsPerToken,
    maxCredits: creditsPerToken * BigInt(maxTokens),
    nonce: BigInt(toHex(crypto.getRandomValues(new Uint8Array(16)))),
    deadline: BigInt((await chainNow(ctx)) + SELF_REQUEST_VALIDITY_SECONDS),
  };
  return { request, signature: await signRequest(ctx.account, request, creditsDomain(ctx)) };
}

/** The credit checks both modes share (a self-paid request first tops its deposit up with `topUp`), then the durable claim of the session id. */
async function admit(
  deps: QuerierDeps,
  request: InferenceRequest,
  signature: Hex,
  maxTokens: number,
  topUp?: (needed: bigint) => Promise<void>,
): Promise<PaidQuery> {
  const session = sessionIdOf(request);
  const price = request.creditsPerToken;
  const affordable = price === 0n ? maxTokens : Number(bigMin(request.maxCredits / price, BigInt(maxTokens)));
  if (affordable < 1) {
    throw new InsufficientCreditsError(
      `The request caps the session at ${request.maxCredits} credits, less than one token at ${price}.`,
      { hint: 'Sign a request whose maxCredits pays for at least one token.' },
    );
  }
  const release = await deps.reservations.reserve(request.querier, request.maxCredits, async (needed) => {
    await topUp?.(needed);
    const shortfall = await depositShortfall(deps.ctx, request, needed);
    if (shortfall !== undefined) {
      throw new InsufficientCreditsError(`The request is not funded: ${shortfall}.`, {
        hint: 'Deposit credits for this gateway first (`concord ask` does it), with a deadline within the withdrawal delay; wait for its open sessions to settle.',
      });
    }
  });
  if (!claimSession(deps.settings, session)) {
    release();
    throw replayed(session);
  }
  return { request, signature, session, maxNewTokens: affordable, release };
}

function replayed(session: Hex): RequestReplayedError {
  return new RequestReplayedError(`Session ${session} was served before.`, {
    hint: 'Sign a new request (another nonce) for every completion.',
  });
}

/** Whether `session` is settled in InferenceSettlement. */
async function settledOnChain(ctx: ConcordContext, session: Hex): Promise<boolean> {
  const s = await ctx.publicClient.readContract({
    address: ctx.addresses.inferenceSettlement,
    abi: inferenceSettlementAbi,
    functionName: 'getSession',
    args: [session],
  });
  return s.settledBlock !== 0n;
}

function bigMin(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
