import type { Hex } from 'viem';
import { isRequestJson, requestFromJson, requestToJson } from '../chain/requestJson.ts';
import { isBytes32 } from '../core/bytes32.ts';
import type { MatrixName } from '../model/index.ts';
import { encodeFrame } from '../p2p/frames.ts';
import type { SessionAuth } from './admission.ts';
import { MAX_ITEMS_PER_REQUEST } from './constants.ts';
import {
  InferMalformedError,
  InferMessageTooLargeError,
  InferRefusedError,
  InferReplayedStepError,
  InferSessionUnauthorizedError,
  InferSessionUnfundedError,
  InferShardNotHostedError,
} from './errors.ts';

/**
 * Wire format of `/concord/infer/1.0.0`. Every frame is a 4-byte big-endian
 * length and a payload (the blob protocol's framing). A request is a JSON
 * header frame `{ session, model, step, seal, items: [{ layer, matrix, shard }], auth }` (`auth`
 * the querier's `{ request, signature }`, integers as decimal strings, whose session id is
 * `session`; a host serves a session only with a valid, funded one) and then
 * one frame per item with its activations (f32 little-endian). A response is
 * a JSON header `{ ok: true, signature (null unless sealed), digests }` and one frame per item with
 * its partial product (f32 rows), or `{ ok: false, code, message }`.
 */

/** Every matrix name a request may carry. */
const MATRIX_NAMES: readonly MatrixName[] = [
  'attn.c_attn',
  'attn.c_proj',
  'mlp.c_fc',
  'mlp.c_proj',
  'lm_head',
];

/** One shard asked for in a request. */
export type RequestItem = { readonly layer: number; readonly matrix: MatrixName; readonly shard: number };

/** The header of a request. */
export type RequestHeader = {
  /** 32 random bytes naming the gateway's session. */
  readonly session: Hex;
  /**
   * Digest of the model version the gateway's plan is for; a host serving
   * another version refuses (NOT_HOSTED), so rows of two versions never mix
   * in one product (e.g. while the network switches to a new version).
   */
  readonly model: Hex;
  /** Index of the host call within the session; strictly increasing per host. */
  readonly step: number;
  /** Ask for a signature over every item answered since the last one (this request's included). */
  readonly seal: boolean;
  /** The shards to compute; may be empty only when sealing. */
  readonly items: readonly RequestItem[];
  /** The querier's signed request the session serves (null: none, which production hosts refuse). */
  readonly auth: SessionAuth | null;
};

/** The refusal codes of the protocol, each mapped to an error class on the gateway. */
export const INFER_ERROR_CLASSES = {
  MALFORMED: InferMalformedError,
  TOO_LARGE: InferMessageTooLargeError,
  REPLAYED: InferReplayedStepError,
  NOT_HOSTED: InferShardNotHostedError,
  UNAUTHORIZED: InferSessionUnauthorizedError,
  UNFUNDED: InferSessionUnfundedError,
  FAILED: InferRefusedError,
} as const;

/** A refusal code sent by a host. */
export type InferErrorCode = keyof typeof INFER_ERROR_CLASSES;

/** The header of a response. */
export type ResponseHeader =
  | { readonly ok: true; readonly signature: Hex | null; readonly digests: readonly Hex[] }
  | { readonly ok: false; readonly code: InferErrorCode; readonly message: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A request header as JSON carries it (the auth's integers as decimal strings). */
export function headerJson(header: RequestHeader): unknown {
  const { auth } = header;
  return { ...header, auth: auth && { request: requestToJson(auth.request), signature: auth.signature } };
}

/** Encodes a JSON value as one frame. */
export function jsonFrame(value: unknown): Uint8Array {
  return encodeFrame(encoder.encode(JSON.stringify(value)));
}

/** Encodes f32 values as one frame (little-endian, as the platform stores them). */
export function f32Frame(values: Float32Array): Uint8Array {
  return encodeFrame(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

/** Decodes a frame of f32 values (copied, so the result is aligned and owned). */
export function decodeF32(payload: Uint8Array): Float32Array {
  if (payload.byteLength % 4 !== 0) {
    throw new InferMalformedError(`A tensor frame of ${payload.byteLength} bytes is not whole f32 values.`);
  }
  const out = new Float32Array(payload.byteLength / 4);
  new Uint8Array(out.buffer).set(payload);
  return out;
}

/** Parses a JSON frame; throws InferMalformedError when it is not UTF-8 JSON. */
export function parseJsonFrame(payload: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(payload));
  } catch (cause) {
    throw new InferMalformedError('A header frame is not UTF-8 JSON.', { cause });
  }
}

/** Validates an untrusted request header; throws InferMalformedError naming the first problem. */
export function parseRequestHeader(value: unknown): RequestHeader {
  const v = record(value, ['session', 'model', 'step', 'seal', 'items', 'auth'], 'request');
  if (!isBytes32(v.session)) throw malformed('session is not 32 bytes of hex');
  if (!isBytes32(v.model)) throw malformed('model is not 32 bytes of hex');
  if (!Number.isSafeInteger(v.step) || (v.step as number) < 0) throw malformed('step is not an integer >= 0');
  if (typeof v.seal !== 'boolean') throw malformed('seal is not a boolean');
  const min = v.seal ? 0 : 1;
  if (!Array.isArray(v.items) || v.items.length < min || v.items.length > MAX_ITEMS_PER_REQUEST) {
    throw malformed(`items is not a list of ${min}..${MAX_ITEMS_PER_REQUEST} shards`);
  }
  const items = v.items.map((raw: unknown): RequestItem => {
    const item = record(raw, ['layer', 'matrix', 'shard'], 'item');
    if (!Number.isSafeInteger(item.layer) || (item.layer as number) < -1)
      throw malformed('layer is not >= -1');
    if (!MATRIX_NAMES.includes(item.matrix as MatrixName)) throw malformed('matrix is not a known matrix');
    if (!Number.isSafeInteger(item.shard) || (item.shard as number) < 0) throw malformed('shard is not >= 0');
    return { layer: item.layer as number, matrix: item.matrix as MatrixName, shard: item.shard as number };
  });
  return {
    session: (v.session as string).toLowerCase() as Hex,
    model: (v.model as string).toLowerCase() as Hex,
    step: v.step as number,
    seal: v.seal,
    items,
    auth: parseAuth(v.auth),
  };
}

function parseAuth(value: unknown): SessionAuth | null {
  if (value === undefined || value === null) return null;
  const auth = record(value, ['request', 'signature'], 'auth');
  if (!isRequestJson(auth.request)) throw malformed('auth.request is not a request');
  if (typeof auth.signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(auth.signature)) {
    throw malformed('auth.signature is not 65 bytes of hex');
  }
  return { request: requestFromJson(auth.request), signature: auth.signature as Hex };
}

/** Validates an untrusted response header for a request of `itemCount` items (signed when `sealed`). */
export function parseResponseHeader(value: unknown, itemCount: number, sealed: boolean): ResponseHeader {
  if (typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false) {
    const v = record(value, ['ok', 'code', 'message'], 'refusal');
    if (typeof v.code !== 'string' || !(v.code in INFER_ERROR_CLASSES))
      throw malformed('unknown refusal code');
    return { ok: false, code: v.code as InferErrorCode, message: String(v.message).slice(0, 200) };
  }
  const v = record(value, ['ok', 'signature', 'digests'], 'response');
  if (v.ok !== true) throw malformed('ok is not a boolean');
  if (
    sealed
      ? typeof v.signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(v.signature)
      : v.signature !== null
  ) {
    throw malformed(
      sealed ? 'signature is not 65 bytes of hex' : 'signature is not null on an unsealed answer',
    );
  }
  if (!Array.isArray(v.digests) || v.digests.length !== itemCount || !v.digests.every(isBytes32)) {
    throw malformed(`digests is not a list of ${itemCount} bytes32 values`);
  }
  return {
    ok: true,
    signature: v.signature as Hex | null,
    digests: v.digests.map((d) => d.toLowerCase() as Hex),
  };
}

/** The error a refusal becomes on the gateway side. */
export function refusalError(code: InferErrorCode, message: string, peer: string): Error {
  return new INFER_ERROR_CLASSES[code](`Host ${peer} refused: ${message}`, { details: `code ${code}` });
}

function record(value: unknown, keys: readonly string[], what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw malformed(`${what} is not an object`);
  const extra = Object.keys(value).find((k) => !keys.includes(k));
  if (extra !== undefined) throw malformed(`${what} has unknown field ${JSON.stringify(extra.slice(0, 40))}`);
  return value as Record<string, unknown>;
}

function malformed(problem: string): InferMalformedError {
  return new InferMalformedError(`Malformed inference message: ${problem}.`, {
    hint: 'Speak /concord/infer/1.0.0 as described in docs/inference.md.',
  });
}
