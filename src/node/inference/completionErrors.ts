import { BaseError } from '../../core/errors.ts';

/**
 * An error of the completion routes that answers with its own HTTP status.
 * Its `code` (from the class name, or overridden) is the stable code clients see.
 */
export abstract class CompletionError extends BaseError {
  /** The HTTP status this error answers with. */
  abstract readonly status: number;
}

/** The completion request is malformed or out of range (HTTP 400, code `INVALID_REQUEST`). */
export class InvalidRequestError extends CompletionError {
  override name = 'InvalidRequestError';
  readonly status = 400;
}

/** Neither a querier-signed request nor the node's API token came with a completion (HTTP 401). */
export class QuerierSignatureRequiredError extends CompletionError {
  override name = 'QuerierSignatureRequiredError';
  readonly status = 401;
}

/** The querier's signature does not match its request (HTTP 401). */
export class RequestSignatureInvalidError extends CompletionError {
  override name = 'RequestSignatureInvalidError';
  readonly status = 401;
}

/** The signed request names another gateway than this node (HTTP 400). */
export class RequestGatewayMismatchError extends CompletionError {
  override name = 'RequestGatewayMismatchError';
  readonly status = 400;
}

/** The signed request names another model or version than the one served under the asked name (HTTP 400). */
export class RequestModelMismatchError extends CompletionError {
  override name = 'RequestModelMismatchError';
  readonly status = 400;
}

/** The signed request pays less per token than this gateway asks (HTTP 400). */
export class RequestPriceTooLowError extends CompletionError {
  override name = 'RequestPriceTooLowError';
  readonly status = 400;
}

/** The signed request's deadline has passed, or is too close to settle in time (HTTP 400). */
export class RequestExpiredError extends CompletionError {
  override name = 'RequestExpiredError';
  readonly status = 400;
}

/** The querier's credits (or the request's cap) do not pay for a single token, or for `max_tokens` (HTTP 402). */
export class InsufficientCreditsError extends CompletionError {
  override name = 'InsufficientCreditsError';
  readonly status = 402;
}

/** This session id was served before by this node, or is settled on chain (HTTP 409). */
export class RequestReplayedError extends CompletionError {
  override name = 'RequestReplayedError';
  readonly status = 409;
}

/** No model of this name is known to the node (HTTP 404, code `MODEL_NOT_FOUND`). */
export class ServedModelNotFoundError extends CompletionError {
  override name = 'ServedModelNotFoundError';
  readonly status = 404;
  override get code(): string {
    return 'MODEL_NOT_FOUND';
  }
}

/** The model is known but not ready to serve (loading or failed) (HTTP 503). */
export class ModelNotReadyError extends CompletionError {
  override name = 'ModelNotReadyError';
  readonly status = 503;
}
