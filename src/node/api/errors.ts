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
 * JSON body of every API error: a stable `code` and a message without
 * secrets or stack traces (`/health`'s 503 adds `checks`).
 */
export type ApiErrorBody = { error: { code: string; message: string; checks?: HealthChecks } };

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
    return { status: 503, body: { error: { code: err.code, message, checks: err.checks } } };
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
    return { status, body: { error: { code: err.code, message } } };
  }
  const fw = err as FrameworkError;
  if (fw && typeof fw === 'object' && fw.validation !== undefined) {
    return { status: 400, body: { error: { code: 'VALIDATION', message: fw.message } } };
  }
  const status = typeof fw?.statusCode === 'number' ? fw.statusCode : 500;
  if (status === 413)
    return { status, body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large.' } } };
  if (status === 415) {
    return {
      status,
      body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send JSON (application/json).' } },
    };
  }
  if (status >= 400 && status < 500) {
    return { status, body: { error: { code: 'VALIDATION', message: fw.message } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'Internal error; see the node log.' } } };
}
