import { BaseError } from '../../core/errors.ts';
import { ChainUnreachableError } from '../errors.ts';
import type { HealthChecks } from '../health.ts';
import { CompletionError, RetryableCompletionError } from '../inference/completionErrors.ts';

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
 * JSON body of every API error, OpenAI-shaped: a stable `code`, a message
 * without secrets or stack traces, the error's `type` (by its status, see
 * {@link errorType}) and the request field at fault in `param` (or null);
 * `/health`'s 503 adds `checks`. Built only by {@link apiErrorBody}.
 */
export type ApiErrorBody = {
  error: { code: string; message: string; type: string; param: string | null; checks?: HealthChecks };
};

/** The optional fields of an error body: the request field at fault and `/health`'s checks. */
export type ApiErrorFields = { param?: string | null; checks?: HealthChecks };

/**
 * The OpenAI error `type` of an HTTP status: `authentication_error` (401),
 * `insufficient_quota` (402), `permission_error` (403), `not_found_error`
 * (404), `rate_limit_error` (429), `invalid_request_error` (other 4xx),
 * `server_error` (5xx).
 */
export function errorType(status: number): string {
  const named: Record<number, string> = {
    401: 'authentication_error',
    402: 'insufficient_quota',
    403: 'permission_error',
    404: 'not_found_error',
    429: 'rate_limit_error',
  };
  return named[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
}

/** The error body of an answer with `status`: the one place an error body is built. */
export function apiErrorBody(
  status: number,
  code: string,
  message: string,
  fields: ApiErrorFields = {},
): ApiErrorBody {
  const { param = null, checks } = fields;
  return { error: { code, message, type: errorType(status), param, ...(checks ? { checks } : {}) } };
}

/**
 * The request field a schema violation names, OpenAI-style
 * (`messages[0].content`): the failing value's path, or the missing or
 * unknown property; null when the whole body is at fault.
 */
export function validationParam(validation: unknown): string | null {
  const first = Array.isArray(validation)
    ? (validation[0] as { instancePath?: string; params?: Record<string, unknown> } | undefined)
    : undefined;
  if (first === undefined) return null;
  const path = (first.instancePath ?? '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  const extra = first.params?.missingProperty ?? first.params?.additionalProperty;
  if (typeof extra === 'string') path.push(extra);
  if (path.length === 0) return null;
  return path.reduce(
    (name, p) => (/^[0-9]+$/.test(p) ? `${name}[${p}]` : name === '' ? p : `${name}.${p}`),
    '',
  );
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
 * `BaseError.status`), code and `param` (a retryable one with `Retry-After`,
 * a 401 with `WWW-Authenticate`), a schema violation as 400 `VALIDATION`
 * naming the field at fault (or as the named error its route's
 * `schemaErrorFormatter` gives as its cause), a refusal of the framework
 * (body too large, bad JSON, ...) with its code, and anything else as 500
 * `INTERNAL`, which says nothing of the cause.
 */
export function toApiError(err: unknown): ApiErrorAnswer {
  const headers: Record<string, string> = {};
  if (err instanceof BaseError && err.status !== undefined) {
    const message = err.hint ? `${err.shortMessage} ${err.hint}` : err.shortMessage;
    const fields: ApiErrorFields = {
      ...(err instanceof CompletionError ? { param: err.param } : {}),
      ...(err instanceof ChainUnreachableError ? { checks: err.checks } : {}),
    };
    if (err.status === 401) headers['www-authenticate'] = 'Bearer';
    if (err instanceof RetryableCompletionError) headers['retry-after'] = String(err.retryAfterSeconds);
    return { status: err.status, body: apiErrorBody(err.status, err.code, message, fields), headers };
  }
  const fw = err as FrameworkError;
  // A route's `schemaErrorFormatter` names the error its schema violations answer as, as their cause.
  if (fw?.validation !== undefined && fw.cause instanceof BaseError) return toApiError(fw.cause);
  const status = typeof fw?.statusCode === 'number' ? fw.statusCode : 500;
  if (!(err instanceof BaseError) && status >= 400 && status < 500) {
    const known = fw.validation === undefined ? FRAMEWORK_CODES[fw.code ?? ''] : undefined;
    const body = known
      ? apiErrorBody(status, known.code, known.message)
      : apiErrorBody(status, 'VALIDATION', fw.message ?? 'The request is invalid.', {
          param: validationParam(fw.validation),
        });
    return { status, body, headers };
  }
  return { status: 500, body: apiErrorBody(500, 'INTERNAL', 'Internal error; see the node log.'), headers };
}
