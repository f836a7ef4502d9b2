import { BaseError, type BaseErrorParameters } from '../../core/errors.ts';
import { GatewayConfigError, InferShardUndecidedError } from '../../inference/errors.ts';

/**
 * An error of the completion routes that answers with its own HTTP status.
 * Its `code` (from the class name, or overridden) is the stable code clients see.
 */
export abstract class CompletionError extends BaseError {
  /** The HTTP status this error answers with. */
  abstract override readonly status: number;
  /** The request field at fault (OpenAI's `param`, e.g. `messages[0].content`), or null. */
  readonly param: string | null;

  constructor(shortMessage: string, params: BaseErrorParameters & { param?: string } = {}) {
    super(shortMessage, params);
    this.param = params.param ?? null;
  }
}

/** The completion request is malformed or out of range (HTTP 400, code `INVALID_REQUEST`). */
export class InvalidRequestError extends CompletionError {
  override name = 'InvalidRequestError';
  override readonly status = 400;
}

/** The request asks for an OpenAI feature this node does not offer (HTTP 400, code `UNSUPPORTED_PARAMETER`, `param` naming it). */
export class UnsupportedParameterError extends CompletionError {
  override name = 'UnsupportedParameterError';
  override readonly status = 400;
}

/** Neither a querier-signed request nor the node's API token came with a completion (HTTP 401). */
export class QuerierSignatureRequiredError extends CompletionError {
  override name = 'QuerierSignatureRequiredError';
  override readonly status = 401;
}

/** The querier's signature does not match its request (HTTP 401). */
export class RequestSignatureInvalidError extends CompletionError {
  override name = 'RequestSignatureInvalidError';
  override readonly status = 401;
}

/** The signed request names another gateway than this node (HTTP 400). */
export class RequestGatewayMismatchError extends CompletionError {
  override name = 'RequestGatewayMismatchError';
  override readonly status = 400;
}

/** The signed request names another model or version than the one served under the asked name (HTTP 400). */
export class RequestModelMismatchError extends CompletionError {
  override name = 'RequestModelMismatchError';
  override readonly status = 400;
}

/** The signed request pays less per token than this gateway asks (HTTP 400). */
export class RequestPriceTooLowError extends CompletionError {
  override name = 'RequestPriceTooLowError';
  override readonly status = 400;
}

/** The signed request's deadline has passed, or is too close to settle in time (HTTP 400). */
export class RequestExpiredError extends CompletionError {
  override name = 'RequestExpiredError';
  override readonly status = 400;
}

/** The querier's credits (or the request's cap) do not pay for a single token, or for `max_tokens` (HTTP 402). */
export class InsufficientCreditsError extends CompletionError {
  override name = 'InsufficientCreditsError';
  override readonly status = 402;
}

/** This session id was served before by this node, or is settled on chain (HTTP 409). */
export class RequestReplayedError extends CompletionError {
  override name = 'RequestReplayedError';
  override readonly status = 409;
}

/** No model of this name is known to the node (HTTP 404, code `MODEL_NOT_FOUND`). */
export class ServedModelNotFoundError extends CompletionError {
  override name = 'ServedModelNotFoundError';
  override readonly status = 404;
  override get code(): string {
    return 'MODEL_NOT_FOUND';
  }
}

/** The model is known but not ready to serve (loading or failed) (HTTP 503). */
export class ModelNotReadyError extends CompletionError {
  override name = 'ModelNotReadyError';
  override readonly status = 503;
}

/** A refusal or failure the client may retry: answered with a `Retry-After` header of `retryAfterSeconds`. */
export abstract class RetryableCompletionError extends CompletionError {
  /** Whole seconds after which a retry may succeed (at least 1). */
  readonly retryAfterSeconds: number;

  constructor(shortMessage: string, params: BaseErrorParameters & { retryAfterSeconds: number }) {
    super(shortMessage, params);
    this.retryAfterSeconds = Math.max(1, Math.ceil(params.retryAfterSeconds));
  }
}

/** Every running slot and every queue place of this gateway is taken (HTTP 429, code `QUEUE_FULL`). */
export class QueueFullError extends RetryableCompletionError {
  override name = 'QueueFullError';
  override readonly status = 429;
}

/** The request waited in the gateway's queue as long as it may without getting a slot (HTTP 503, code `NO_CAPACITY`). */
export class NoCapacityError extends RetryableCompletionError {
  override name = 'NoCapacityError';
  override readonly status = 503;
}

/** The hosts of a shard failed or did not answer, and no standby was left (HTTP 503, code `HOSTS_UNAVAILABLE`). */
export class HostsUnavailableError extends RetryableCompletionError {
  override name = 'HostsUnavailableError';
  override readonly status = 503;
}

/** The hosts of a shard answered, but no answer reached a majority (HTTP 502, code `NO_CONSENSUS`). */
export class NoConsensusError extends CompletionError {
  override name = 'NoConsensusError';
  override readonly status = 502;
}

/** Distributed generation failed for another named reason (HTTP 502, code `INFERENCE_FAILED`). */
export class InferenceFailedError extends CompletionError {
  override name = 'InferenceFailedError';
  override readonly status = 502;
}

/** The client closed the connection while its request waited for a slot (status 499, never seen by it). */
export class ClientClosedRequestError extends CompletionError {
  override name = 'ClientClosedRequestError';
  override readonly status = 499;
}

/** Seconds a client is asked to wait after the hosts failed a session (`HOSTS_UNAVAILABLE`). */
export const HOSTS_RETRY_AFTER_SECONDS = 5;

/**
 * The error a completion answers with when the session's generation threw
 * `err`, given the host calls that failed during the session: a shard left
 * undecided after host failures is 503 `HOSTS_UNAVAILABLE` (retry later), one
 * undecided among answering hosts 502 `NO_CONSENSUS`, any other named error
 * 502 `INFERENCE_FAILED`; anything else (a bug) is returned as it is (500).
 */
export function generationFailure(err: unknown, failures: readonly { error: string }[]): unknown {
  if (!(err instanceof BaseError)) return err;
  const reason = `${err.name}: ${err.shortMessage}`;
  const unavailable = err instanceof GatewayConfigError || failures.length > 0;
  if (err instanceof InferShardUndecidedError && !unavailable) {
    return new NoConsensusError('The hosts answered, but no answer reached a majority.', {
      cause: err,
      details: reason,
      hint: 'The hosts disagree; the gateway operator should check the model version they serve.',
    });
  }
  if (err instanceof InferShardUndecidedError || err instanceof GatewayConfigError) {
    return new HostsUnavailableError(
      `The hosts could not compute the answer (failed host calls: ${countFailures(failures)}).`,
      {
        cause: err,
        details: reason,
        hint: 'The hosts are busy or unreachable; retry after the Retry-After delay.',
        retryAfterSeconds: HOSTS_RETRY_AFTER_SECONDS,
      },
    );
  }
  return new InferenceFailedError(`Distributed generation failed: ${reason}.`, { cause: err });
}

/** `InferTimeoutError ×2, InferTransportError ×1` (or `none`). */
function countFailures(failures: readonly { error: string }[]): string {
  const counts = new Map<string, number>();
  for (const f of failures) counts.set(f.error, (counts.get(f.error) ?? 0) + 1);
  return counts.size === 0 ? 'none' : [...counts].map(([name, n]) => `${name} ×${n}`).join(', ');
}
