import type { Hex } from 'viem';
import { isRequestJson, requestFromJson, requestToJson } from '../chain/requestJson.ts';
import { isBytes32 } from '../core/bytes32.ts';
import { encodeFrame } from '../p2p/frames.ts';
import type { SessionAuth } from './admission.ts';
import { MAX_ITEMS_PER_REQUEST, MAX_PARTS_PER_REQUEST, MAX_ROWS_PER_ITEM } from './constants.ts';
import {
  InferCacheMissingError,
  InferHostBusyError,
  InferMalformedError,
  InferMessageTooLargeError,
  InferRefusedError,
  InferReplayedStepError,
  InferSessionUnauthorizedError,
  InferSessionUnfundedError,
  InferShardNotHostedError,
  PlanParametersMismatchError,
} from './errors.ts';
import type { ExchangeKind } from './exchange.ts';
import type { PlanShardsParameters } from './planner.ts';

/**
 * Wire format of `/concord/infer/1.0.0` (second version: exchanges, batched
 * rows, many sessions per message). Every frame is a 4-byte big-endian length
 * and a payload (the blob protocol's framing). A request is a JSON header frame
 * `{ model, parts: [{ session, step, seal, auth, items: [{ layer, matrix, shard, rows, keepFrom, keepTo, outFrom }] }] }`
 * — one part per gateway session (`auth` the querier's `{ request, signature }`,
 * integers as decimal strings, sent until the host has served the session;
 * `matrix` an exchange kind: `attn`, `mlp` or `lm_head`) — and then, per part
 * and item in order, one frame with the item's `rows` input rows (f32
 * little-endian, rows × dModel). A response is a JSON header
 * `{ ok: true, parts: [{ ok: true, signature (null unless sealed), digests } | { ok: false, code, message }] }`
 * and then, per answered part and item in order, one frame with the item's
 * output rows; or `{ ok: false, code, message }` when the whole message is refused.
 */

/** Every exchange kind a request may carry. */
const EXCHANGE_KINDS: readonly ExchangeKind[] = ['attn', 'mlp', 'lm_head'];

/** One exchange shard asked for in a request part. */
export type RequestItem = {
  readonly layer: number;
  readonly matrix: ExchangeKind;
  readonly shard: number;
  /** Input rows sent (the batch: a prompt, a draft to verify, or a window to rebuild). */
  readonly rows: number;
  /** Attention: the cache entries kept before the rows are appended (0, 0 otherwise). */
  readonly keepFrom: number;
  readonly keepTo: number;
  /** Attention: the first of the rows whose output is wanted (0 otherwise). */
  readonly outFrom: number;
};

/** One session's part of a request. */
export type RequestPart = {
  /** The session id (32 bytes, lower-case). */
  readonly session: Hex;
  /** Index of the exchange within the session; strictly increasing per host and session. */
  readonly step: number;
  /** Ask for a signature over every item answered since the last one (this part's included). */
  readonly seal: boolean;
  /** The shards to compute; may be empty only when sealing. */
  readonly items: readonly RequestItem[];
  /** The querier's signed request the session serves (null: none, or already admitted by this host). */
  readonly auth: SessionAuth | null;
};

/** The header of a request. */
export type RequestHeader = {
  /**
   * Digest of the model version the gateway's plan is for; a host serving
   * another version refuses (NOT_HOSTED), so rows of two versions never mix
   * in one product (e.g. while the network switches to a new version).
   */
  readonly model: Hex;
  /**
   * The parameters the gateway planned with; a host that planned the version
   * with others refuses (PLAN_MISMATCH, naming the flag) instead of serving
   * rows it cut differently. Absent: not checked.
   */
  readonly plan?: PlanFlags | undefined;
  readonly parts: readonly RequestPart[];
};

/**
 * The parameters of a shard plan that nodes choose with flags (`--replicas`,
 * `--standbys`, `--shards-per-matrix`); the others (digest, matrices, hosts)
 * come from the chain. Nodes send the flags as given (a plan caps `replicas`
 * by the number of nodes, which nodes may see change at different moments); `sharding` is `shardsPerMatrix=N` or `rowsPerShard=N`, as the plan cuts rows.
 */
export type PlanFlags = { readonly replicas: number; readonly standbys: number; readonly sharding: string };

/** The {@link PlanFlags} of a plan's parameters. */
export function planFlags(
  parameters: Pick<PlanShardsParameters, 'replicas' | 'standbys' | 'sharding'>,
): PlanFlags {
  const s = parameters.sharding;
  return {
    replicas: parameters.replicas,
    standbys: parameters.standbys,
    sharding:
      'shardsPerMatrix' in s ? `shardsPerMatrix=${s.shardsPerMatrix}` : `rowsPerShard=${s.rowsPerShard}`,
  };
}

/** The first flag whose value differs between a host's plan and a gateway's, as `--flag host vs gateway`; undefined when they agree. */
export function planFlagsDiffer(host: PlanFlags, gateway: PlanFlags): string | undefined {
  if (host.replicas !== gateway.replicas)
    return `--replicas: ${host.replicas} here, ${gateway.replicas} at the gateway`;
  if (host.standbys !== gateway.standbys)
    return `--standbys: ${host.standbys} here, ${gateway.standbys} at the gateway`;
  if (host.sharding !== gateway.sharding)
    return `--shards-per-matrix: ${host.sharding} here, ${gateway.sharding} at the gateway`;
  return undefined;
}

/** The refusal codes of the protocol, each mapped to an error class on the gateway. */
export const INFER_ERROR_CLASSES = {
  MALFORMED: InferMalformedError,
  TOO_LARGE: InferMessageTooLargeError,
  REPLAYED: InferReplayedStepError,
  NOT_HOSTED: InferShardNotHostedError,
  UNAUTHORIZED: InferSessionUnauthorizedError,
  UNFUNDED: InferSessionUnfundedError,
  NO_CACHE: InferCacheMissingError,
  PLAN_MISMATCH: PlanParametersMismatchError,
  BUSY: InferHostBusyError,
  FAILED: InferRefusedError,
} as const;

/** A refusal code sent by a host. */
export type InferErrorCode = keyof typeof INFER_ERROR_CLASSES;

/** One part of a response: the answer for one session's part, or its refusal. */
export type ResponsePart =
  | { readonly ok: true; readonly signature: Hex | null; readonly digests: readonly Hex[] }
  | { readonly ok: false; readonly code: InferErrorCode; readonly message: string };

/** The header of a response. */
export type ResponseHeader =
  | { readonly ok: true; readonly parts: readonly ResponsePart[] }
  | { readonly ok: false; readonly code: InferErrorCode; readonly message: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A request header as JSON carries it (the auth's integers as decimal strings). */
export function headerJson(header: RequestHeader): unknown {
  return {
    model: header.model,
    ...(header.plan === undefined ? {} : { plan: header.plan }),
    parts: header.parts.map(({ auth, ...part }) => ({
      ...part,
      auth: auth && { request: requestToJson(auth.request), signature: auth.signature },
    })),
  };
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
  const v = record(value, ['model', 'plan', 'parts'], 'request');
  if (!isBytes32(v.model)) throw malformed('model is not 32 bytes of hex');
  const plan = v.plan === undefined ? undefined : parsePlanFlags(v.plan);
  if (!Array.isArray(v.parts) || v.parts.length < 1 || v.parts.length > MAX_PARTS_PER_REQUEST) {
    throw malformed(`parts is not a list of 1..${MAX_PARTS_PER_REQUEST} session parts`);
  }
  const parts = v.parts.map(parsePart);
  const sessions = new Set(parts.map((p) => `${p.session}/${p.step}`));
  if (sessions.size !== parts.length) throw malformed('a session step appears twice');
  return { model: (v.model as string).toLowerCase() as Hex, ...(plan === undefined ? {} : { plan }), parts };
}

function parsePlanFlags(raw: unknown): PlanFlags {
  const v = record(raw, ['replicas', 'standbys', 'sharding'], 'plan');
  const count = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 1_000_000;
  if (!count(v.replicas) || !count(v.standbys)) throw malformed('plan replicas and standbys are not counts');
  if (typeof v.sharding !== 'string' || !/^(shardsPerMatrix|rowsPerShard)=\d{1,9}$/.test(v.sharding))
    throw malformed('plan sharding is not shardsPerMatrix=N or rowsPerShard=N');
  return { replicas: v.replicas as number, standbys: v.standbys as number, sharding: v.sharding };
}

function parsePart(raw: unknown): RequestPart {
  const v = record(raw, ['session', 'step', 'seal', 'items', 'auth'], 'part');
  if (!isBytes32(v.session)) throw malformed('session is not 32 bytes of hex');
  if (!Number.isSafeInteger(v.step) || (v.step as number) < 0) throw malformed('step is not an integer >= 0');
  if (typeof v.seal !== 'boolean') throw malformed('seal is not a boolean');
  const min = v.seal ? 0 : 1;
  if (!Array.isArray(v.items) || v.items.length < min || v.items.length > MAX_ITEMS_PER_REQUEST) {
    throw malformed(`items is not a list of ${min}..${MAX_ITEMS_PER_REQUEST} shards`);
  }
  const items = v.items.map(parseItem);
  // A host checks a part's attention windows against its caches before computing any item; a shard
  // named twice would be computed on a cache its first item already changed.
  if (new Set(items.map((i) => `${i.layer}/${i.matrix}/${i.shard}`)).size !== items.length) {
    throw malformed('a shard appears twice in a part');
  }
  return {
    session: (v.session as string).toLowerCase() as Hex,
    step: v.step as number,
    seal: v.seal,
    items,
    auth: parseAuth(v.auth),
  };
}

function parseItem(raw: unknown): RequestItem {
  const item = record(raw, ['layer', 'matrix', 'shard', 'rows', 'keepFrom', 'keepTo', 'outFrom'], 'item');
  const count = (key: string, min: number) => {
    const n = item[key];
    if (!Number.isSafeInteger(n) || (n as number) < min || (n as number) > MAX_ROWS_PER_ITEM)
      throw malformed(`${key} is not an integer in ${min}..${MAX_ROWS_PER_ITEM}`);
    return n as number;
  };
  if (!Number.isSafeInteger(item.layer) || (item.layer as number) < -1) throw malformed('layer is not >= -1');
  if (!EXCHANGE_KINDS.includes(item.matrix as ExchangeKind))
    throw malformed('matrix is not an exchange kind');
  if (!Number.isSafeInteger(item.shard) || (item.shard as number) < 0) throw malformed('shard is not >= 0');
  const parsed = {
    layer: item.layer as number,
    matrix: item.matrix as ExchangeKind,
    shard: item.shard as number,
    rows: count('rows', 1),
    keepFrom: count('keepFrom', 0),
    keepTo: count('keepTo', 0),
    outFrom: count('outFrom', 0),
  };
  if (parsed.keepFrom > parsed.keepTo) throw malformed('keepFrom is after keepTo');
  if (parsed.outFrom >= parsed.rows) throw malformed('outFrom leaves no output row');
  if (parsed.matrix !== 'attn' && (parsed.keepTo !== 0 || parsed.outFrom !== 0)) {
    throw malformed('only attention items carry a cache window or outFrom');
  }
  return parsed;
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

/** Validates an untrusted response header for a request of these parts (item counts, sealed or not). */
export function parseResponseHeader(
  value: unknown,
  parts: readonly { readonly items: number; readonly seal: boolean }[],
): ResponseHeader {
  if (isRefusal(value)) return parseRefusal(value);
  const v = record(value, ['ok', 'parts'], 'response');
  if (v.ok !== true) throw malformed('ok is not a boolean');
  if (!Array.isArray(v.parts) || v.parts.length !== parts.length) {
    throw malformed(`parts is not a list of ${parts.length} answers`);
  }
  return { ok: true, parts: v.parts.map((p: unknown, i) => parseResponsePart(p, parts[i]!)) };
}

function parseResponsePart(value: unknown, asked: { items: number; seal: boolean }): ResponsePart {
  if (isRefusal(value)) return parseRefusal(value);
  const v = record(value, ['ok', 'signature', 'digests'], 'answer');
  if (v.ok !== true) throw malformed('ok is not a boolean');
  if (
    asked.seal
      ? typeof v.signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(v.signature)
      : v.signature !== null
  ) {
    throw malformed(
      asked.seal ? 'signature is not 65 bytes of hex' : 'signature is not null on an unsealed answer',
    );
  }
  if (!Array.isArray(v.digests) || v.digests.length !== asked.items || !v.digests.every(isBytes32)) {
    throw malformed(`digests is not a list of ${asked.items} bytes32 values`);
  }
  return {
    ok: true,
    signature: v.signature as Hex | null,
    digests: v.digests.map((d) => d.toLowerCase() as Hex),
  };
}

function isRefusal(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false;
}

function parseRefusal(value: unknown): { ok: false; code: InferErrorCode; message: string } {
  const v = record(value, ['ok', 'code', 'message'], 'refusal');
  // Own keys only: `in` would also accept names every object inherits (`toString`, `constructor`).
  if (typeof v.code !== 'string' || !Object.hasOwn(INFER_ERROR_CLASSES, v.code))
    throw malformed('unknown refusal code');
  return { ok: false, code: v.code as InferErrorCode, message: String(v.message).slice(0, 200) };
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
