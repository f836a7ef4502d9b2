import Fastify, { type FastifyInstance } from 'fastify';
import { apiErrorBody, toApiError } from './errors.ts';
import { collectRoutes } from './openapi.ts';
import { registerBlobRoutes } from './routes/blobs.ts';
import { registerOpenApiRoutes } from './routes/openapi.ts';
import { registerStatusRoutes } from './routes/status.ts';
import { registerTaskRoutes } from './routes/tasks.ts';
import type { ApiDeps } from './types.ts';
import { apiValidationOptions } from './validation.ts';

/** Limits of the HTTP API. */
export type ApiOptions = {
  /** Largest JSON body, in bytes (default 256 KiB). */
  bodyLimit?: number;
  /** Largest blob accepted by `PUT /v1/blobs`, in bytes (default 64 MiB). */
  blobLimit?: number;
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

/**
 * The node's HTTP API: JSON Schema on every route, size limits checked before
 * parsing, errors as `{ error: { code, message, type, param } }` with a stable code and
 * never a stack trace or key. Listen with `listenApi` (127.0.0.1 by default).
 * `GET /openapi.json` documents every route registered on the returned app,
 * including those added to it later (the daemon's `extendApi`).
 */
export function createApi(deps: ApiDeps, options: ApiOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? API_BODY_LIMIT,
    ...apiValidationOptions(),
  });
  const routes = collectRoutes(app);
  app.setErrorHandler(async (err, _request, reply) => {
    const { status, body } = toApiError(err);
    deps.metrics.errors.inc({ code: body.error.code });
    if (status >= 500) options.onServerError?.(err, status);
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler(async (request, reply) => {
    deps.metrics.errors.inc({ code: 'NOT_FOUND' });
    const message = `No route ${request.method} ${request.url.split('?')[0]}.`;
    return reply.status(404).send(apiErrorBody(404, 'NOT_FOUND', message));
  });
  registerStatusRoutes(app, deps);
  registerTaskRoutes(app, deps);
  registerBlobRoutes(app, deps, options.blobLimit ?? API_BLOB_LIMIT);
  registerOpenApiRoutes(app, routes, deps.version);
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
