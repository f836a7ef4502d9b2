import { BaseError } from '../core/errors.ts';

/** A shard plan could not be made: bad sharding, too few hosts, or a bad matrix list. */
export class ShardPlanInvalidError extends BaseError {
  override name = 'ShardPlanInvalidError';
}

/**
 * The hosts' memory caps cannot hold the model at the requested replication:
 * a shard could not get its `replicas` hosts (the message names the shard,
 * its bytes, and the caps' total beside replication × the model's shard bytes).
 */
export class ModelTooLargeError extends BaseError {
  override name = 'ModelTooLargeError';
}

/** An inference message broke the wire format (truncated, not JSON, off-schema). */
export class InferMalformedError extends BaseError {
  override name = 'InferMalformedError';
}

/** An inference message (header or tensor) exceeded its size limit; nothing of it was parsed. */
export class InferMessageTooLargeError extends BaseError {
  override name = 'InferMessageTooLargeError';
}

/** The host has already answered this step (or a later one) of the session. */
export class InferReplayedStepError extends BaseError {
  override name = 'InferReplayedStepError';
}

/**
 * The gateway and the host cut the model version with different plan
 * parameters (`--replicas`, `--standbys`, `--shards-per-matrix` of
 * `concord node start`), so a shard index would not name the same rows.
 */
export class PlanParametersMismatchError extends BaseError {
  override name = 'PlanParametersMismatchError';
}

/** The host does not serve a shard the request asked for. */
export class InferShardNotHostedError extends BaseError {
  override name = 'InferShardNotHostedError';
}

/** The host refused for a reason without its own class (the code is in the details). */
export class InferRefusedError extends BaseError {
  override name = 'InferRefusedError';
}

/** A host call did not finish within its timeout. */
export class InferTimeoutError extends BaseError {
  override name = 'InferTimeoutError';
}

/** The host's stream failed (reset, closed early, dial error). */
export class InferTransportError extends BaseError {
  override name = 'InferTransportError';
}

/** A response's signature is not the host's over exactly the requested session, step and items. */
export class InferSignatureError extends BaseError {
  override name = 'InferSignatureError';
}

/** A response's partial product does not match the digest the host signed, or has the wrong length. */
export class InferResponseMismatchError extends BaseError {
  override name = 'InferResponseMismatchError';
}

/** No answer for a shard reached a majority, even after every standby was tried. */
export class InferShardUndecidedError extends BaseError {
  override name = 'InferShardUndecidedError';
}

/** The gateway was configured inconsistently (plan and model disagree, unknown host address). */
export class GatewayConfigError extends BaseError {
  override name = 'GatewayConfigError';
}

/** A session id given to `openSession` is not 32 bytes of hex. */
export class SessionIdInvalidError extends BaseError {
  override name = 'SessionIdInvalidError';
}

/** A session was asked to settle a request whose session id is not the session's. */
export class SessionRequestMismatchError extends BaseError {
  override name = 'SessionRequestMismatchError';
}

/** A host refused a session that no valid querier request backs (missing, forged, for another model, expired). */
export class InferSessionUnauthorizedError extends BaseError {
  override name = 'InferSessionUnauthorizedError';
}

/** A host refused a session whose querier has not locked enough credits for the gateway until the request's deadline. */
export class InferSessionUnfundedError extends BaseError {
  override name = 'InferSessionUnfundedError';
}

/** An exchange shard's weights do not fit its exchange: bad range, or a buffer of the wrong size. */
export class ExchangeShardInvalidError extends BaseError {
  override name = 'ExchangeShardInvalidError';
}

/** A cache window keeps entries the cache does not hold (keepTo beyond its length, or keepFrom after keepTo). */
export class CacheWindowInvalidError extends BaseError {
  override name = 'CacheWindowInvalidError';
}

/** A host holds no attention cache for the session (never fed, or evicted): the gateway must send the whole window. */
export class InferCacheMissingError extends BaseError {
  override name = 'InferCacheMissingError';
}

/** A host holds as many session caches as it may and none is idle enough to evict: try again later or elsewhere. */
export class InferHostBusyError extends BaseError {
  override name = 'InferHostBusyError';
}

/** An exchange request does not fit its exchange: unknown name, wrong kind or layer, or rows and input that disagree. */
export class ExchangeRequestInvalidError extends BaseError {
  override name = 'ExchangeRequestInvalidError';
}

/** An exchange backend answered with the wrong number of shard outputs or an output of the wrong size. */
export class ExchangeAnswerInvalidError extends BaseError {
  override name = 'ExchangeAnswerInvalidError';
}

/** A speculative decoding option (the number of draft tokens) is out of range. */
export class InvalidSpeculationOptionsError extends BaseError {
  override name = 'InvalidSpeculationOptionsError';
}
