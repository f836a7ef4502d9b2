import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';
import type { HttpLabels } from '../metrics.ts';

/** The `route` label of a request that matched no route (its URL is never a label: bounded cardinality). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Observes every answered request of `app` (and of routes added to it later)
 * in `http`: its duration by method, route pattern (`/v1/tasks/:id`, never the
 * URL) and status code. Streamed answers count when their stream ends.
 */
export function recordHttpRequests(app: FastifyInstance, http: Histogram<HttpLabels>): void {
  app.addHook('onResponse', async (request, reply) => {
    http.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
}
