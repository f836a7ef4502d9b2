import {
  HttpRequestError,
  RpcRequestError,
  SocketClosedError,
  TimeoutError,
  BaseError as ViemError,
} from 'viem';
import { BaseError } from '../core/errors.ts';

/** HTTP statuses a provider answers when it is overloaded or briefly down. */
const TRANSIENT_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);
/** JSON-RPC codes of rate limits and overload (-32005 limit exceeded, QuickNode's -32007, 429 in a 200 body). */
const TRANSIENT_RPC_CODES = new Set([-32005, -32007, 429]);

/**
 * Whether `err` is a transport failure worth retrying the same request for:
 * no connection, a reset, a timeout, an HTTP 408/429/5xx, or a rate-limit
 * answer. A JSON-RPC error the node gave about the request itself (a revert,
 * a bad nonce, invalid params) is not.
 */
export function isTransientRpcError(err: unknown): boolean {
  if (!(err instanceof ViemError)) return false;
  const found = err.walk((e) => {
    if (e instanceof TimeoutError || e instanceof SocketClosedError) return true;
    if (e instanceof HttpRequestError) return e.status === undefined || TRANSIENT_STATUSES.has(e.status);
    if (e instanceof RpcRequestError) return TRANSIENT_RPC_CODES.has(e.code);
    return false;
  });
  return found !== null && found !== undefined;
}

/**
 * One line describing any error for a log: a Concord error's short message
 * and details, a viem error's `shortMessage` (never its multi-line dump of
 * request body, URL and version), else the first line of its message.
 */
export function errorLine(err: unknown): string {
  if (err instanceof BaseError) return [err.shortMessage, err.details].filter(Boolean).join(' ');
  if (err instanceof ViemError) return firstLine(err.shortMessage);
  return firstLine(err instanceof Error ? err.message : String(err));
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}
