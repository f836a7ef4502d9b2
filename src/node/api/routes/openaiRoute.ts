import type { FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import type { Hex } from 'viem';
import type { ConcordContext } from '../../../chain/context.ts';
import {
  type InferenceRequestJson,
  REQUEST_JSON_FIELDS,
  requestFromJson,
} from '../../../chain/requestJson.ts';
import type { Store } from '../../../store/openStore.ts';
import type { CompletionAdmission } from '../../inference/completionAdmission.ts';
import { InvalidRequestError, QuerierSignatureRequiredError } from '../../inference/completionErrors.ts';
import type { CreditReservations } from '../../inference/creditReservations.ts';
import { admitSelfPaidRequest, admitSignedRequest, type PaidQuery } from '../../inference/querier.ts';
import type { ModelService, ServedModel } from '../../inference/types.ts';
import type { NodeMetrics } from '../../metrics.ts';
import type { Secret } from '../../secret.ts';
import type { TxLock } from '../../txLock.ts';
import { requireApiToken } from '../auth.ts';
import { validationParam } from '../errors.ts';
import { address, errorBody, uintString } from '../schemas.ts';

/** Longest prompt (characters, or token ids), chat message and embedding input accepted. */
export const MAX_PROMPT_LENGTH = 65_536;

/**
 * What the OpenAI-compatible routes (models, completions, embeddings) need
 * from the node: the models it serves, the chain as the node's account (the
 * gateway that settles), the tx lock every sender of that account shares, the
 * store (served session ids, for replay protection across restarts), the API
 * token (self-paid requests), the price it asks per token, its admission
 * control, the error counter and a log.
 */
export type CompletionRouteDeps = {
  models: ModelService;
  ctx: ConcordContext;
  txLock: TxLock;
  store: Pick<Store, 'settings'>;
  apiToken: Secret;
  /** Credits asked per generated token (`--credits-per-token`). */
  creditsPerToken: bigint;
  /** The credits promised to this gateway's open sessions (one instance per node). */
  reservations: CreditReservations;
  /** How many completions run and wait at once (one instance per node). */
  admission: CompletionAdmission;
  metrics?: Pick<NodeMetrics, 'errors'> | undefined;
  log: (line: string) => void;
};

/** The querier-signed request of a body's `concord` field (integers as decimal strings). */
export type SignedRequestBody = { request: InferenceRequestJson; signature: Hex };

/** JSON Schema of `concord: { request, signature }`. */
export const signedRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['request', 'signature'],
  properties: {
    request: {
      type: 'object',
      additionalProperties: false,
      required: [...REQUEST_JSON_FIELDS],
      properties: {
        querier: address,
        gateway: address,
        modelId: uintString,
        versionIndex: uintString,
        creditsPerToken: uintString,
        maxCredits: uintString,
        nonce: uintString,
        deadline: uintString,
      },
    },
    signature: { type: 'string', pattern: '^0x[0-9a-fA-F]{130}$' },
  },
} as const;

/** The API's error body schema with a description of the codes answered with one status. */
export const errorWith = (description: string) => ({ ...errorBody, description });

/** The answers of the inference routes (completions: an answer of 200 is JSON, or an SSE stream with `stream: true`). */
export const inferenceResponses = {
  200: { description: 'The completion, or its server-sent events with `stream: true`.' },
  400: errorWith(
    '`INVALID_REQUEST` (with `param` naming the field), `UNSUPPORTED_PARAMETER` (an OpenAI feature this node does not offer, named in `param`), `REQUEST_GATEWAY_MISMATCH`, `REQUEST_MODEL_MISMATCH`, `REQUEST_PRICE_TOO_LOW`, `REQUEST_EXPIRED`.',
  ),
  401: errorWith(
    '`QUERIER_SIGNATURE_REQUIRED`, `REQUEST_SIGNATURE_INVALID`, `UNAUTHORIZED` (wrong API token).',
  ),
  402: errorWith(
    '`INSUFFICIENT_CREDITS`: the querier’s credits or the request’s cap do not pay for the tokens.',
  ),
  404: errorWith('`MODEL_NOT_FOUND`.'),
  409: errorWith('`REQUEST_REPLAYED`: this session was served before or is settled.'),
  429: errorWith(
    '`QUEUE_FULL`: every running slot and queue place is taken; retry after `Retry-After` seconds. Nothing was reserved or billed.',
  ),
  502: errorWith(
    '`NO_CONSENSUS` (the hosts answered but disagree), `INFERENCE_FAILED`: generation failed before the answer was complete; only delivered tokens are billed.',
  ),
  503: errorWith(
    '`MODEL_NOT_READY` (loading or failed), `NO_CAPACITY` (no slot freed within the longest wait), `HOSTS_UNAVAILABLE` (hosts failed or did not answer); with `Retry-After` except `MODEL_NOT_READY`.',
  ),
} as const;

/**
 * How a request of an OpenAI route is paid: by the querier-signed request in
 * `concord`, or (with the node's API token, checked here) by the node itself;
 * QuerierSignatureRequiredError with neither. The returned function admits
 * the payment for `maxTokens` tokens; call it once an admission slot is held.
 */
export async function paymentOf(
  deps: CompletionRouteDeps,
  request: FastifyRequest,
  served: ServedModel,
  concord: SignedRequestBody | undefined,
  maxTokens: number,
): Promise<() => Promise<PaidQuery>> {
  const querier = {
    ctx: deps.ctx,
    settings: deps.store.settings,
    creditsPerToken: deps.creditsPerToken,
    txLock: deps.txLock,
    reservations: deps.reservations,
  };
  if (concord !== undefined) {
    const signed = requestFromJson(concord.request);
    return () => admitSignedRequest(querier, served, signed, concord.signature, maxTokens);
  }
  if (request.headers.authorization !== undefined) {
    await requireApiToken(deps.apiToken)(request);
    return () => admitSelfPaidRequest(querier, served, maxTokens);
  }
  throw new QuerierSignatureRequiredError('A request for inference must be paid for.', {
    hint: "Send `concord: { request, signature }` signed by a querier with credits, or the node's API token as 'Authorization: Bearer <token>'.",
  });
}

/** Aborts when the client closes the connection before the answer is complete. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) gone.abort();
  });
  return gone.signal;
}

/** A 400 `INVALID_REQUEST` naming the field at fault (`param`). */
export function invalid(problem: string, param?: string): InvalidRequestError {
  return new InvalidRequestError(`Invalid request: ${problem}.`, {
    hint: 'See docs/api.md, "OpenAI-compatible endpoints", for the accepted fields.',
    ...(param === undefined ? {} : { param }),
  });
}

/**
 * A schema violation of an OpenAI route's request, answered as 400
 * `INVALID_REQUEST` naming the field at fault in `param` (the routes'
 * `schemaErrorFormatter`; the API answers the error a violation's `cause`
 * names, see `toApiError`).
 */
export function invalidBody(errors: FastifySchemaValidationError[], where: string): Error {
  const problem = errors.map((e) => `${where}${e.instancePath} ${e.message}`).join(', ');
  const cause = invalid(problem, validationParam(errors) ?? undefined);
  return new Error(cause.shortMessage, { cause });
}
