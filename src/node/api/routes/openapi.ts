import type { FastifyPluginAsync } from 'fastify';
import { buildOpenApiDocument, type DocumentedRoute, type OpenApiDocument } from '../openapi.ts';

/**
 * The reference route, a route group: `GET /openapi.json` (public), the
 * OpenAPI 3.1 reference of every route registered on this app, built on the
 * first request (when no route can be added any more) from the routes
 * `collectRoutes` recorded.
 */
export const openApiRoutes: FastifyPluginAsync<{
  deps: { version: string };
  routes: readonly DocumentedRoute[];
}> = async (app, { deps, routes }) => {
  let document: OpenApiDocument | undefined;
  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'The OpenAPI 3.1 reference of this API',
        description: 'Built from the JSON schemas of the routes this node actually serves.',
        response: { 200: { type: 'object', additionalProperties: true } },
      },
    },
    async () => {
      document ??= buildOpenApiDocument(routes, { version: deps.version });
      return document;
    },
  );
};
