import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { BaseError } from '../core/errors.ts';
import { createApi } from '../node/api/createApi.ts';
import { type OpenApiDocument, openApiProblems } from '../node/api/openapi.ts';
import { type CompletionRouteDeps, registerCompletionRoutes } from '../node/api/routes/completions.ts';
import type { ApiDeps } from '../node/api/types.ts';
import { createNodeMetrics } from '../node/metrics.ts';
import { Secret } from '../node/secret.ts';
import { registerDashboard } from '../web/registerDashboard.ts';
import type { DashboardDeps } from '../web/snapshot.ts';

/** Where `npm run docs:api` writes the API reference (a test checks it is current). */
export const OPENAPI_FILE = fileURLToPath(new URL('../../docs/openapi.json', import.meta.url));

/** The API token of the reference app, which never listens. */
const REFERENCE_TOKEN = new Secret('reference-app-token-never-served');

/** Mounts routes on a node's API beyond those of `createApi`, as `concord node start`'s `extendApi` does. */
export type ApiExtension = (app: FastifyInstance) => void;

/**
 * The routes `concord node start` mounts outside `createApi`, with dependencies
 * that are never called. Keep this list in step with its `extendApi`.
 */
export const NODE_API_EXTENSIONS: readonly ApiExtension[] = [
  (app) =>
    registerCompletionRoutes(app, inert<CompletionRouteDeps>('completions', { apiToken: REFERENCE_TOKEN })),
  (app) => registerDashboard(app, inert<DashboardDeps>('dashboard')),
];

/** An operation of the reference app's dependencies was called: they exist only to register routes. */
export class ApiReferenceCallError extends BaseError {
  override name = 'ApiReferenceCallError';
}

/** The generated API reference breaks a structural rule (see `openApiProblems`). */
export class ApiReferenceInvalidError extends BaseError {
  override name = 'ApiReferenceInvalidError';
}

/**
 * The OpenAPI document of a full node's API, as `docs/openapi.json` holds it:
 * `createApi` with dependencies that are never called, plus `extensions`,
 * answered through its own `GET /openapi.json`. Pretty JSON with a final newline;
 * throws ApiReferenceInvalidError if the document is malformed.
 */
export async function generateOpenApiReference(
  extensions: readonly ApiExtension[] = NODE_API_EXTENSIONS,
): Promise<string> {
  const version = (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  const deps = inert<ApiDeps>('api', {
    version,
    apiToken: REFERENCE_TOKEN,
    metrics: createNodeMetrics(),
  });
  const app = createApi(deps);
  for (const extend of extensions) extend(app);
  try {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    if (res.statusCode !== 200) {
      throw new ApiReferenceInvalidError(`GET /openapi.json answered ${res.statusCode}: ${res.body}`);
    }
    const doc = res.json() as OpenApiDocument;
    const problems = openApiProblems(doc);
    if (problems.length > 0) {
      throw new ApiReferenceInvalidError(`The API reference is malformed: ${problems.join(' ')}`, {
        hint: 'Declare the params schema of each :param route and give routes distinct operationIds.',
      });
    }
    return `${JSON.stringify(doc, null, 2)}\n`;
  } finally {
    await app.close();
  }
}

/**
 * A stand-in for a dependency object: the `given` members as they are, every
 * other member (at any depth) a function that throws ApiReferenceCallError
 * when called. Route registration may read members but must not call them.
 */
export function inert<T>(label: string, given: Partial<T> = {}): T {
  const member = (path: string): unknown =>
    new Proxy(() => undefined, {
      apply() {
        throw new ApiReferenceCallError(`${path}() was called while building the API reference.`, {
          hint: 'Route registration must not call its dependencies; call them in the handler.',
        });
      },
      get: (_target, key) =>
        typeof key === 'symbol' || key === 'then' ? undefined : member(`${path}.${key}`),
    });
  return new Proxy(given as object, {
    get: (target, key) =>
      key in target
        ? (target as Record<string | symbol, unknown>)[key]
        : typeof key === 'symbol' || key === 'then'
          ? undefined
          : member(`${label}.${key}`),
  }) as T;
}
