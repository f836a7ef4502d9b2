import type { BaseError, BaseErrorParameters } from '../core/errors.ts';
import type { ModelOpening } from '../model/pieces/digest.ts';
import { parseModelOpening } from '../store/modelOpening.ts';
import {
  BlobFetchBadSignatureError,
  BlobFetchBusyError,
  BlobFetchExpiredError,
  BlobFetchMalformedError,
  BlobFetchNotFoundError,
  BlobFetchReplayedError,
  BlobFetchRequestTooLargeError,
  BlobFetchUnauthorizedError,
  BlobFetchUnavailableError,
} from './errors.ts';
import { encodeFrame } from './frames.ts';

/** The stable refusal codes of `/concord/blob/1.0.0`, each mapped to an error class client-side. */
export const BLOB_ERROR_CLASSES = {
  UNAUTHORIZED: BlobFetchUnauthorizedError,
  NOT_FOUND: BlobFetchNotFoundError,
  EXPIRED: BlobFetchExpiredError,
  REPLAYED: BlobFetchReplayedError,
  BAD_SIGNATURE: BlobFetchBadSignatureError,
  TOO_LARGE: BlobFetchRequestTooLargeError,
  MALFORMED: BlobFetchMalformedError,
  BUSY: BlobFetchBusyError,
  UNAVAILABLE: BlobFetchUnavailableError,
} as const;

/** A refusal code sent by a blob server. */
export type BlobErrorCode = keyof typeof BLOB_ERROR_CLASSES;

/**
 * The first frame of every response: the blob's size (and, when the digest
 * is a model digest, the opening (R, S) that the bytes and the digest are
 * checked against), or a refusal.
 */
export type BlobResponseHeader =
  | { ok: true; size: number; opening?: ModelOpening }
  | { ok: false; code: BlobErrorCode; message: string };

/** Longest refusal message kept. */
const MAX_MESSAGE_LENGTH = 200;

/** Encodes a response header as a frame. */
export function encodeResponseHeader(header: BlobResponseHeader): Uint8Array {
  return encodeFrame(new TextEncoder().encode(JSON.stringify(header)));
}

/** Parses an untrusted response header; returns it, or why it is malformed. */
export function parseResponseHeader(bytes: Uint8Array): BlobResponseHeader | string {
  const v = parseJsonObject(bytes);
  if (typeof v === 'string') return v;
  if (v.ok === true) {
    if (!Number.isSafeInteger(v.size) || (v.size as number) < 0) return 'the header has no valid size';
    const size = v.size as number;
    if (v.opening === undefined) return { ok: true, size };
    const opening = parseModelOpening(v.opening);
    return opening ? { ok: true, size, opening } : 'the header has a malformed model opening';
  }
  return parseRefusal(v, BLOB_ERROR_CLASSES);
}

/** An untrusted header frame as a JSON object, or why it is none. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return 'the header is not JSON';
  }
  if (typeof value !== 'object' || value === null) return 'the header is not an object';
  return value as Record<string, unknown>;
}

/** A refusal header `{ ok: false, code, message }` with a code of `classes`, or why it is none. */
export function parseRefusal<C extends string>(
  v: Record<string, unknown>,
  classes: Record<C, unknown>,
): { ok: false; code: C; message: string } | string {
  if (v.ok === false && typeof v.code === 'string' && Object.hasOwn(classes, v.code)) {
    const message = typeof v.message === 'string' ? v.message.slice(0, MAX_MESSAGE_LENGTH) : '';
    return { ok: false, code: v.code as C, message };
  }
  return `the header has an unknown shape or code`;
}

/** The client-side error for a server's refusal. */
export function refusalError(code: BlobErrorCode, message: string, peer: string): BaseError {
  return refusalErrorOf(BLOB_ERROR_CLASSES, code, message, `Peer ${peer} refused the blob request`);
}

/** The error of `classes` for a refusal `code`, saying who refused what. */
export function refusalErrorOf<C extends string>(
  classes: Record<C, new (message: string, params?: BaseErrorParameters) => BaseError>,
  code: C,
  message: string,
  refused: string,
): BaseError {
  return new classes[code](`${refused}: ${code}.`, { details: message || undefined });
}
