import { BaseError } from '../../core/errors.ts';
import { ChainUnreachableError } from '../errors.ts';
import type { HealthChecks } from '../health.ts';
import { RetryableCompletionError } from '../inference/completionErrors.ts';

/** No task with this id exists on chain (HTTP 404). */
export class UnknownTaskError extends BaseError {
  override name = 'UnknownTaskError';
  override readonly status = 404;
}

/** A state-changing request came without the node's API token (HTTP 401, code `UNAUTHORIZED`). */
export class UnauthorizedError extends BaseError {
  override name = 'UnauthorizedError';
  override readonly status = 401;
}

/** No route answers this method and path (HTTP 404, code `NOT_FOUND`). */
export class RouteNotFoundError extends BaseError {
  override name = 'RouteNotFoundError';
  override readonly status = 404;
  override get code(): string {
    return 'NOT_FOUND';
  }
}

/**
 * The request's `Host` header names neither a loopback name nor a host the
 * operator allowed (`--api-allowed-hosts`): HTTP 421, code `HOST_NOT_ALLOWED`.
 * A page on another site that rebinds its DNS name to this node is refused.
 */
export class HostNotAllowedError extends BaseError {
  override name = 'HostNotAllowedError';
  override readonly status = 421;
}

/** A body came in a media type its route does not take (HTTP 415, code `UNSUPPORTED_MEDIA_TYPE`). */
export class UnsupportedMediaTypeError extends BaseError {
  override name = 'UnsupportedMediaTypeError';
  override readonly status = 415;
}

/**
 * JSON body of every API error: a stable `code`, a message without secrets
 * or stack traces, and optionally OpenAI's `type` and `param` (the request
 * field at fault) and `/health`'s `checks`. Built only by {@link apiErrorBody}.
 */
export type ApiErrorBody = {
  error: {
    code: string;
    message: string;
    type?: string;
    param?: string | null;
    checks?: HealthChecks;
  };
};

/** The optional fields of an error body. */
export type ApiErrorFields = Omit<ApiErrorBody['error'], 'code' | 'message'>;

/** The one place an error body is built. */
export function apiErrorBody(code: string, message: string, fields: ApiErrorFields = {}): ApiErrorBody {
  return { error: { code, message, ...fields } };
}

/** An error as the API answers it: status, body and extra headers. */
export type ApiErrorAnswer = { status: number; body: ApiErrorBody; headers: Record<string, string> };

type FrameworkError = Error & { statusCode?: number; code?: string; validation?: unknown };

/** Codes of the framework's own refusals, by its error code (a refusal not listed is `VALIDATION`). */
const FRAMEWORK_CODES: Readonly<Record<string, { code: string; message: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Unsupported content type: send JSON (application/json), or a blob as application/octet-stream.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INVALID_JSON', message: 'The body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'INVALID_JSON',
    message: 'The body is empty but its content type is application/json.',
  },
  FST_ERR_BAD_URL: { code: 'BAD_URL', message: 'The URL is malformed (bad percent-encoding).' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'URI_TOO_LONG', message: 'A path parameter is too long.' },
};

/**
 * Maps any thrown value to the status, body and headers the API answers with:
 * a named error with its own `status` (the class decides; see
 * `BaseError.status`) and code (a retryable one with `Retry-After`, a 401
 * with `WWW-Authenticate`), a schema violation as 400 `VALIDATION` (or as the
 * named error its route's `schemaErrorFormatter` gives as its cause), a
 * refusal of the framework (body too large, bad JSON, ...) with its code, and
 * anything else as 500 `INTERNAL`, which says nothing of the cause.
 */
export function toApiError(err: unknown): ApiErrorAnswer {
  const headers: Record<string, string> = {};
  if (err instanceof BaseError && err.status !== undefined) {
    const message = err.hint ? `${err.shortMessage} ${err.hint}` : err.shortMessage;
    const checks = err instanceof ChainUnreachableError ? { checks: err.checks } : {};
    if (err.status === 401) headers['www-authenticate'] = 'Bearer';
    if (err instanceof RetryableCompletionError) headers['retry-after'] = String(err.retryAfterSeconds);
    return { status: err.status, body: apiErrorBody(err.code, message, checks), headers };
  }
  const fw = err as FrameworkError;
  // A route's `schemaErrorFormatter` names the error its schema violations answer as, as their cause.
  if (fw?.validation !== undefined && fw.cause instanceof BaseError) return toApiError(fw.cause);
  const status = typeof fw?.statusCode === 'number' ? fw.statusCode : 500;
  if (!(err instanceof BaseError) && status >= 400 && status < 500) {
    const known = fw.validation === undefined ? FRAMEWORK_CODES[fw.code ?? ''] : undefined;
    const body = known
      ? apiErrorBody(known.code, known.message)
      : apiErrorBody('VALIDATION', fw.message ?? 'The request is invalid.');
    return { status, body, headers };
  }
  return { status: 500, body: apiErrorBody('INTERNAL', 'Internal error; see the node log.'), headers };
}
