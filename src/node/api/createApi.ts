import Fastify, { type FastifyInstance } from 'fastify';
import { answerError, installErrorHandlers, writeClientError } from './errorHandler.ts';
import { LOOPBACK_HOSTS, requireAllowedHost } from './hostAllowlist.ts';
import { recordHttpRequests } from './httpMetrics.ts';
import { collectRoutes } from './openapi.ts';
import { NODE_ROUTE_GROUPS, type NodeApiDeps } from './routeGroups.ts';
import { apiValidationOptions } from './validation.ts';

/** Limits and policy of the HTTP API. */
export type ApiOptions = {
  /** Largest JSON body, in bytes (default 256 KiB). */
  bodyLimit?: number;
  /** Largest blob accepted by `PUT /v1/blobs`, in bytes (default 64 MiB). */
  blobLimit?: number;
  /** Largest request head (request line and headers), in bytes (default 16 KiB); larger answers 431. */
  maxHeaderBytes?: number;
  /**
   * The `Host` names (any port) the API answers; others get 421
   * `HOST_NOT_ALLOWED`. Default: the loopback names (`allowedHosts` adds the
   * bind address and the operator's names; `*` admits any).
   */
  allowedHosts?: readonly string[];
  /**
   * Called with every server-side failure (5xx): internal errors (500, which clients see only as
   * `INTERNAL`) and named ones such as a full disk (507) or an unreachable chain (503).
   */
  onServerError?: (err: unknown, status: number) => void;
};

/** Default JSON body limit of the API. */
export const API_BODY_LIMIT = 256 * 1024;
/** Default blob upload limit of the API. */
export const API_BLOB_LIMIT = 64 * 1024 * 1024;
/** Default limit of a request's head (Node's own default). */
export const API_HEADER_LIMIT = 16 * 1024;

/**
 * The node's HTTP API, the one way it is built (for the daemon, the tests and
 * the OpenAPI generator): every group of `NODE_ROUTE_GROUPS` registered as a
 * fastify plugin, JSON Schema on every route (request types derived from it;
 * JSON bodies validated without type coercion), size limits checked before
 * parsing, a `Host` allowlist, and every error — the routes', the
 * framework's, unknown routes, oversized headers — answered by one handler as
 * `{ error: { code, message, type, param } }` with the status its class
 * carries, never a stack trace or key. Listen with `listenApi` (127.0.0.1 by
 * default). `GET /openapi.json` documents every route registered on the
 * returned app, including those added to it later (the daemon's `extendApi`).
 */
export function createApi(deps: NodeApiDeps, options: ApiOptions = {}): FastifyInstance {
  const reporting = { metrics: deps.metrics, onServerError: options.onServerError };
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? API_BODY_LIMIT,
    http: { maxHeaderSize: options.maxHeaderBytes ?? API_HEADER_LIMIT },
    clientErrorHandler: writeClientError,
    frameworkErrors: (err, _request, reply) => void answerError(reporting, err, reply),
    ...apiValidationOptions(),
  });
  const routes = collectRoutes(app);
  recordHttpRequests(app, deps.metrics.http);
  installErrorHandlers(app, reporting);
  app.addHook('onRequest', requireAllowedHost(options.allowedHosts ?? LOOPBACK_HOSTS));
  const limits = { blobLimit: options.blobLimit ?? API_BLOB_LIMIT };
  for (const group of NODE_ROUTE_GROUPS) app.register(group, { deps, limits, routes });
  return app;
}

/** Starts listening on `host` (default 127.0.0.1) and `port` (0 = any free port); returns the base URL. */
export async function listenApi(
  app: FastifyInstance,
  options: { host?: string; port?: number } = {},
): Promise<string> {
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const addr = app.server.address();
  const port = addr !== null && typeof addr === 'object' ? addr.port : options.port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
