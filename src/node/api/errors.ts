import { BaseError } from '../../core/errors.ts';
import { ChainUnreachableError } from '../errors.ts';
import type { HealthChecks } from '../health.ts';

/** No task with this id exists on chain. */
export class UnknownTaskError extends BaseError {
  override name = 'UnknownTaskError';
}

/** A state-changing request came without the node's API token (HTTP 401, code `UNAUTHORIZED`). */
export class UnauthorizedError extends BaseError {
  override name = 'UnauthorizedError';
}

/**
 * JSON body of every API error, OpenAI-shaped: a stable `code`, a message
 * without secrets or stack traces, the error's `type` (by its status, see
 * `errorType`) and the request field at fault in `param` (or null);
 * `/health`'s 503 adds `checks`.
 */
export type ApiErrorBody = {
  error: { code: string; message: string; type: string; param: string | null; checks?: HealthChecks };
};

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

/** The error body of an answer with `status`: every API error is built here. */
export function apiErrorBody(
  status: number,
  code: string,
  message: string,
  param: string | null = null,
): ApiErrorBody {
  return { error: { code, message, type: errorType(status), param } };
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

/** Errors whose cause is the request, answered with 400. */
const BAD_REQUEST_ERRORS = new Set([
  'TaskSpecError',
  'UnknownTaskKindError',
  'CanonicalJsonError',
  'TaskInputError',
  'TensorShapeError',
  'TaskInputsMissingError',
  'TaskTermsOutOfBoundsError',
  // `PUT /v1/blobs?as=model` with bytes that are no checkpoint.
  'BlobNotCheckpointError',
  // A wasm task's module refused at creation (`TaskKind.checkInputs`).
  'WasmInvalidModuleError',
  'WasmModuleTooLargeError',
  'WasmUnsupportedFeatureError',
  'WasmImportNotAllowedError',
  'WasmEntryError',
  'WasmMemoryLimitError',
]);

/** Errors answered with 404. */
const NOT_FOUND_ERRORS = new Set(['UnknownTaskError']);

/** Errors from the ledger refusing a transaction, answered with 409. */
const CONFLICT_ERRORS = new Set(['ChainRevertError']);

/** The node's disk is full (`DISK_FULL`): 507 Insufficient Storage, worth retrying once space is freed. */
const INSUFFICIENT_STORAGE_ERRORS = new Set(['DiskFullError']);

type FrameworkError = Error & { statusCode?: number; code?: string; validation?: unknown };

/** Maps any thrown value to an HTTP status and a safe error body with a stable code. */
export function toApiError(err: unknown): { status: number; body: ApiErrorBody } {
  if (err instanceof ChainUnreachableError) {
    const message = `${err.shortMessage} ${err.hint}`;
    const body = apiErrorBody(503, err.code, message);
    return { status: 503, body: { error: { ...body.error, checks: err.checks } } };
  }
  if (err instanceof BaseError) {
    const status =
      err instanceof UnauthorizedError
        ? 401
        : NOT_FOUND_ERRORS.has(err.name)
          ? 404
          : BAD_REQUEST_ERRORS.has(err.name)
            ? 400
            : CONFLICT_ERRORS.has(err.name)
              ? 409
              : INSUFFICIENT_STORAGE_ERRORS.has(err.name)
                ? 507
                : 500;
    const message = err.hint ? `${err.shortMessage} ${err.hint}` : err.shortMessage;
    return { status, body: apiErrorBody(status, err.code, message) };
  }
  const fw = err as FrameworkError;
  if (fw && typeof fw === 'object' && fw.validation !== undefined) {
    return { status: 400, body: apiErrorBody(400, 'VALIDATION', fw.message, validationParam(fw.validation)) };
  }
  const status = typeof fw?.statusCode === 'number' ? fw.statusCode : 500;
  if (status === 413)
    return { status, body: apiErrorBody(status, 'PAYLOAD_TOO_LARGE', 'Request body is too large.') };
  if (status === 415) {
    return { status, body: apiErrorBody(status, 'UNSUPPORTED_MEDIA_TYPE', 'Send JSON (application/json).') };
  }
  if (status >= 400 && status < 500) {
    return { status, body: apiErrorBody(status, 'VALIDATION', fw.message) };
  }
  return { status: 500, body: apiErrorBody(500, 'INTERNAL', 'Internal error; see the node log.') };
}
