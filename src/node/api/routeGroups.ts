import type { FastifyPluginAsync } from 'fastify';
import type { DocumentedRoute } from './openapi.ts';
import { blobRoutes } from './routes/blobs.ts';
import { completionRoutes } from './routes/completions.ts';
import { embeddingRoutes } from './routes/embeddings.ts';
import { modelRoutes } from './routes/models.ts';
import type { CompletionRouteDeps } from './routes/openaiRoute.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { statusRoutes } from './routes/status.ts';
import { taskRoutes } from './routes/tasks.ts';
import type { ApiDeps } from './types.ts';

/** Everything the route groups of a node's API need: the node's operations and its gateway's. */
export type NodeApiDeps = ApiDeps & { completions: CompletionRouteDeps };

/** What `createApi` hands every route group (each declares the part it reads). */
export type RouteGroupOptions = {
  deps: NodeApiDeps;
  limits: { blobLimit: number };
  /** Every route of the app, recorded as it is registered (for `GET /openapi.json`). */
  routes: readonly DocumentedRoute[];
};

/** A group of routes: a fastify plugin registered once, by `createApi`. */
export type RouteGroup = FastifyPluginAsync<RouteGroupOptions>;

/**
 * The route groups of every node's API, in registration order. `createApi`
 * registers them, for the daemon and for the OpenAPI generator alike, so a
 * new group is one line here (plus its file in `routes/`).
 */
export const NODE_ROUTE_GROUPS: readonly RouteGroup[] = [
  statusRoutes,
  taskRoutes,
  blobRoutes,
  modelRoutes,
  completionRoutes,
  embeddingRoutes,
  openApiRoutes,
];
