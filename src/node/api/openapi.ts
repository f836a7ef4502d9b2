import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { isApiTokenGuard } from './auth.ts';
import { address, errorBody, hex32, taskView, uintString } from './schemas.ts';

/**
 * The OpenAPI 3.1 reference of the node's HTTP API, built from the fastify
 * route schemas actually registered (never from a hand-written path list), so
 * it cannot drift from what the node serves. See docs/api.md.
 */

/** What the document needs of one registered route (as fastify's `onRoute` hook gives it). */
export type DocumentedRoute = {
  method: RouteOptions['method'];
  url: string;
  schema?: FastifySchema | undefined;
  /** The route's `onRequest`, `preValidation` and `preHandler` hooks (where an API-token guard may sit). */
  hooks: readonly unknown[];
};

/**
 * Keys a route's `schema` may carry for the document, beside fastify's own
 * (`body`, `querystring`, `params`, `headers`, `response`); fastify ignores them.
 */
export type RouteDocumentation = {
  summary?: string;
  description?: string;
  /** Default: `node` outside `/v1`, else the path's last fixed segment (`/v1/tasks/:id` → `tasks`). */
  tags?: string[];
  /** Default: method and path in camel case (`GET /v1/tasks/:id` → `getTasksById`). */
  operationId?: string;
  /**
   * OpenAPI security requirements. Default: `[{ apiToken: [] }]` when a
   * `requireApiToken` guard is among the route's hooks, else none
   * (public). Routes that take either the token or a querier's signature
   * declare `[{}, { apiToken: [] }]`.
   */
  security?: Record<string, string[]>[];
  /** Request media types when the body is not JSON (e.g. `['application/octet-stream']`). */
  consumes?: string[];
};

declare module 'fastify' {
  /** Route schemas may carry {@link RouteDocumentation} keys, typed. */
  interface FastifySchema extends RouteDocumentation {}
}

/** An OpenAPI 3.1 document (the parts this module writes). */
export type OpenApiDocument = {
  openapi: '3.1.0';
  info: {
    title: string;
    version: string;
    description: string;
    license: { name: string; identifier: string };
  };
  tags: { name: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    securitySchemes: Record<string, Record<string, string>>;
    schemas: Record<string, unknown>;
  };
};

/** One operation (method + path) of an {@link OpenApiDocument}. */
export type OpenApiOperation = {
  operationId: string;
  tags: string[];
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: OpenApiParameter[];
  requestBody?: { required: true; content: Record<string, { schema?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
};

/** A path, query or header parameter of an {@link OpenApiOperation}. */
export type OpenApiParameter = {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: unknown;
  description?: string;
};

/**
 * Schemas shared by many routes, written once under `components.schemas` with
 * a description, and referenced wherever a route uses the very same object.
 */
export const SHARED_SCHEMAS: Readonly<Record<string, { schema: object; description: string }>> = {
  Error: {
    schema: errorBody,
    description: 'The body of every error: a stable `code` and a message for people.',
  },
  Task: { schema: taskView, description: 'A task with its committee, commits, reveals, winner and payouts.' },
  Address: { schema: address, description: 'An EVM address, 0x + 40 hex digits.' },
  Bytes32: {
    schema: hex32,
    description: 'A 32-byte value (digest, pool, kind, session id), 0x + 64 hex digits.',
  },
  Uint: { schema: uintString, description: 'A uint256 (token wei, credits, ids) as a decimal string.' },
};

/** Name of the security scheme of the node's API token. */
export const API_TOKEN_SCHEME = 'apiToken';

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'options'] as const;

const API_DESCRIPTION = [
  "Every Concord node serves this API (127.0.0.1 by default). Reads are public; routes that spend the node's",
  'tokens or sign with its key need `Authorization: Bearer <token>` with the token in `<data dir>/api-token`.',
  'Errors are `{ "error": { "code", "message", "type", "param" } }` with a stable `code`. Streams are server-sent events.',
  'See docs/api.md.',
].join(' ');

/**
 * Records every route registered on `app` from now on, including those of
 * plugins and of routes added after this call returns (fastify calls
 * `onRoute` as it registers them). Call it before registering any route.
 */
export function collectRoutes(app: FastifyInstance): DocumentedRoute[] {
  const routes: DocumentedRoute[] = [];
  app.addHook('onRoute', (route) => {
    const hooks = [route.onRequest, route.preValidation, route.preHandler]
      .flat()
      .filter((h) => h !== undefined);
    routes.push({ method: route.method, url: route.url, schema: route.schema, hooks });
  });
  return routes;
}

/** Builds the OpenAPI 3.1 document of `routes` (HEAD routes, which fastify adds for every GET, are left out). */
export function buildOpenApiDocument(
  routes: readonly DocumentedRoute[],
  info: { version: string },
): OpenApiDocument {
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  for (const route of routes) {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) =>
      String(m).toLowerCase(),
    );
    for (const method of methods) {
      if (!(METHODS as readonly string[]).includes(method)) continue;
      const path = openApiPath(route.url);
      paths[path] ??= {};
      paths[path][method] = operationOf(route, method);
    }
  }
  const sortedPaths = Object.fromEntries(
    Object.keys(paths)
      .sort()
      .map((p) => [p, sortMethods(paths[p] ?? {})]),
  );
  const tags = [
    ...new Set(Object.values(sortedPaths).flatMap((ops) => Object.values(ops).flatMap((o) => o.tags))),
  ];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Concord node API',
      version: info.version,
      description: API_DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: tags.sort().map((name) => ({ name })),
    paths: sortedPaths,
    components: {
      securitySchemes: {
        [API_TOKEN_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          description: "The node's API token, made at first start in <data dir>/api-token (mode 0600).",
        },
      },
      schemas: Object.fromEntries(
        Object.entries(SHARED_SCHEMAS).map(([name, { schema, description }]) => [
          name,
          { ...(toOpenApiSchema(schema, schema) as object), description },
        ]),
      ),
    },
  };
}

/**
 * What is wrong with a document, as sentences (empty when well-formed): each
 * `{param}` of a path declared as a path parameter and no other, unique
 * operation ids, every operation with responses, declared security schemes,
 * and every `$ref` resolving to a component.
 */
export function openApiProblems(doc: OpenApiDocument): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    const placeholders = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '').sort();
    for (const [method, op] of Object.entries(ops)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} is used twice.`);
      ids.add(op.operationId);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      if (declared.sort().join() !== placeholders.join()) {
        problems.push(`${where}: path parameters [${declared}] do not match the path's [${placeholders}].`);
      }
      if (Object.keys(op.responses).length === 0) problems.push(`${where}: no responses.`);
      for (const scheme of (op.security ?? []).flatMap((r) => Object.keys(r))) {
        if (!(scheme in doc.components.securitySchemes))
          problems.push(`${where}: unknown security scheme ${scheme}.`);
      }
    }
  }
  for (const ref of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
    if (!((ref[1] ?? '') in doc.components.schemas)) problems.push(`$ref ${ref[1]} does not resolve.`);
  }
  return problems;
}

/** Fastify's `/v1/tasks/:id` (optionally `:id(regex)`) as OpenAPI's `/v1/tasks/{id}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, '{$1}');
}

function operationOf(route: DocumentedRoute, method: string): OpenApiOperation {
  const schema: FastifySchema = route.schema ?? {};
  const guarded = route.hooks.some(isApiTokenGuard);
  const security = schema.security ?? (guarded ? [{ [API_TOKEN_SCHEME]: [] }] : undefined);
  const parameters = [
    ...pathParametersOf(route.url, schema.params),
    ...parametersOf(schema.querystring, 'query'),
    ...parametersOf(schema.headers, 'header'),
  ];
  const requestBody = requestBodyOf(schema);
  return {
    operationId: schema.operationId ?? operationIdOf(method, route.url),
    tags: schema.tags ?? [tagOf(route.url)],
    ...(schema.summary === undefined ? {} : { summary: schema.summary }),
    ...(schema.description === undefined ? {} : { description: schema.description }),
    ...(security === undefined ? {} : { security }),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(requestBody === undefined ? {} : { requestBody }),
    responses: responsesOf(schema.response, guarded),
  };
}

function parametersOf(schema: unknown, where: OpenApiParameter['in']): OpenApiParameter[] {
  if (!isObject(schema)) return [];
  // Fastify accepts a bare properties map as shorthand for an object schema.
  const properties = (isObject(schema.properties) ? schema.properties : schema.type ? {} : schema) as Record<
    string,
    unknown
  >;
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return Object.entries(properties).map(([name, property]) => ({
    name: where === 'header' ? name.toLowerCase() : name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: toOpenApiSchema(property),
    ...(isObject(property) && typeof property.description === 'string'
      ? { description: property.description }
      : {}),
  }));
}

/** Path parameters: as the `params` schema declares them, else every `:name` of the URL as a string. */
function pathParametersOf(url: string, schema: unknown): OpenApiParameter[] {
  const declared = parametersOf(schema, 'path');
  const undeclared = [...url.matchAll(/:([A-Za-z0-9_]+)/g)]
    .map((m) => m[1] ?? '')
    .filter((name) => !declared.some((p) => p.name === name))
    .map((name): OpenApiParameter => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  return [...declared, ...undeclared];
}

function requestBodyOf(schema: FastifySchema): OpenApiOperation['requestBody'] {
  if (schema.body === undefined && schema.consumes === undefined) return undefined;
  const types = schema.consumes ?? ['application/json'];
  const content = Object.fromEntries(
    types.map((type) => [type, schema.body === undefined ? {} : { schema: toOpenApiSchema(schema.body) }]),
  );
  return { required: true, content };
}

const errorContent = () => ({ 'application/json': { schema: { $ref: '#/components/schemas/Error' } } });

function responsesOf(response: unknown, guarded: boolean): OpenApiOperation['responses'] {
  const out: OpenApiOperation['responses'] = {};
  const declared = isObject(response) ? response : { 200: {} };
  for (const [code, entry] of Object.entries(declared)) {
    const status = code.toUpperCase();
    const e = isObject(entry) ? entry : {};
    const description = typeof e.description === 'string' ? e.description : describeStatus(status);
    if (isObject(e.content)) {
      const content = Object.fromEntries(
        Object.entries(e.content).map(([type, media]) => [
          type,
          isObject(media) && media.schema !== undefined ? { schema: toOpenApiSchema(media.schema) } : {},
        ]),
      );
      out[status] = { description, content };
    } else if (Object.keys(e).every((key) => key === 'description')) {
      // No schema: fastify serializes the payload as it is (a stream, text, or unchecked JSON).
      out[status] = { description };
    } else {
      out[status] = { description, content: { 'application/json': { schema: toOpenApiSchema(e) } } };
    }
  }
  // The API's error handler answers every route's failures with the error body.
  if (guarded && out['401'] === undefined) {
    out['401'] = {
      description: 'Missing or wrong API token (code `UNAUTHORIZED`).',
      content: errorContent(),
    };
  }
  out['4XX'] ??= { description: describeStatus('4XX'), content: errorContent() };
  out['5XX'] ??= { description: describeStatus('5XX'), content: errorContent() };
  return out;
}

function describeStatus(status: string): string {
  if (status === '200') return 'Success.';
  if (status === '201') return 'Created.';
  if (status.startsWith('4'))
    return 'The request was refused; the body names the reason with a stable `code`.';
  if (status.startsWith('5')) return 'The node failed or is not ready (`INTERNAL`, `MODEL_NOT_READY`, ...).';
  return `HTTP ${status}.`;
}

/**
 * A fastify (JSON Schema draft 7 subset) schema as an OpenAPI 3.1 schema: the
 * same object, deep-copied, with every shared schema replaced by a `$ref`
 * (except `root` itself, when writing a component).
 */
function toOpenApiSchema(schema: unknown, root?: unknown): unknown {
  if (schema !== root) {
    for (const [name, shared] of Object.entries(SHARED_SCHEMAS)) {
      if (schema === shared.schema) return { $ref: `#/components/schemas/${name}` };
    }
  }
  if (Array.isArray(schema)) return schema.map((item) => toOpenApiSchema(item));
  if (!isObject(schema)) return schema;
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, toOpenApiSchema(v)]));
}

function tagOf(url: string): string {
  const segments = url.split('/').filter((s) => s !== '');
  if (segments[0] !== 'v1') return 'node';
  const fixed = segments.filter((s) => !s.startsWith(':') && s !== 'v1');
  return fixed.at(-1) ?? 'node';
}

function operationIdOf(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((s) => s !== '' && s !== 'v1')
    .map((s) => (s.startsWith(':') ? `by-${s.slice(1).replace(/\(.*$/, '')}` : s))
    .flatMap((s) => s.split(/[^A-Za-z0-9]+/))
    .filter((w) => w !== '');
  const rest = words.length === 0 ? ['root'] : words;
  return method + rest.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

function sortMethods(ops: Record<string, OpenApiOperation>): Record<string, OpenApiOperation> {
  return Object.fromEntries(METHODS.flatMap((m) => (ops[m] === undefined ? [] : [[m, ops[m]] as const])));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
