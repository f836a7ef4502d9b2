import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BaseError } from '../core/errors.ts';
import { createApi } from '../node/api/createApi.ts';
import { inert } from '../node/api/inert.ts';
import { type OpenApiDocument, openApiProblems } from '../node/api/openapi.ts';
import type { NodeApiDeps } from '../node/api/routeGroups.ts';
import { createNodeMetrics } from '../node/metrics.ts';
import { Secret } from '../node/secret.ts';
import { type ApiExtension, type ApiExtensionContext, NODE_API_EXTENSIONS } from './nodeApiExtensions.ts';

/** Where `npm run docs:api` writes the API reference (a test checks it is current). */
export const OPENAPI_FILE = fileURLToPath(new URL('../../docs/openapi.json', import.meta.url));

/** The API token of the reference app, which never listens. */
const REFERENCE_TOKEN = new Secret('reference-app-token-never-served');

/** The generated API reference breaks a structural rule (see `openApiProblems`). */
export class ApiReferenceInvalidError extends BaseError {
  override name = 'ApiReferenceInvalidError';
}

/**
 * The OpenAPI document of a full node's API, as `docs/openapi.json` holds it:
 * `createApi` (every route group, as a node builds it) with dependencies that
 * are never called, plus `extensions` (default: those `concord node start` mounts),
 * answered through its own `GET /openapi.json`. Pretty JSON with a final newline;
 * throws ApiReferenceInvalidError if the document is malformed.
 */
export async function generateOpenApiReference(
  extensions: readonly ApiExtension[] = NODE_API_EXTENSIONS,
): Promise<string> {
  const version = (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  const deps = inert<NodeApiDeps>('api', {
    version,
    apiToken: REFERENCE_TOKEN,
    metrics: createNodeMetrics(),
    completions: inert<NodeApiDeps['completions']>('completions', { apiToken: REFERENCE_TOKEN }),
  });
  const app = createApi(deps);
  const node = inert<ApiExtensionContext>('node', { deps });
  for (const extend of extensions) extend(app, node);
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
