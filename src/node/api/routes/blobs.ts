import type { FastifyInstance } from 'fastify';
import { requireApiToken } from '../auth.ts';
import { apiErrorBody } from '../errors.ts';
import { errorBody, hex32 } from '../schemas.ts';
import type { ApiDeps } from '../types.ts';

/**
 * `PUT /v1/blobs` (needs the API token): stores raw bytes, e.g. a task's
 * input tensors; answers their digest. With `?as=model` the bytes are a
 * checkpoint to register as a model version, stored under its model digest
 * (with its opening), which is the answer.
 */
export function registerBlobRoutes(app: FastifyInstance, deps: ApiDeps, blobLimit: number): void {
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer', bodyLimit: blobLimit },
    (_req, body, done) => done(null, body),
  );
  app.put(
    '/v1/blobs',
    {
      bodyLimit: blobLimit,
      onRequest: requireApiToken(deps.apiToken),
      schema: {
        summary: "Store a blob (e.g. a task's input tensor) in this node's blob store",
        description:
          'The body is the raw bytes; the answer is their content digest, to name in a task spec. ' +
          'With `as=model` the body is a checkpoint and the answer its model digest, the one ModelRegistry records for a version.',
        consumes: ['application/octet-stream'],
        querystring: {
          type: 'object',
          properties: { as: { type: 'string', enum: ['blob', 'model'], default: 'blob' } },
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            required: ['digest', 'size'],
            properties: { digest: hex32, size: { type: 'integer' } },
          },
          '4xx': errorBody,
          '5xx': errorBody,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (!(body instanceof Uint8Array)) {
        const message = 'Send the blob as application/octet-stream.';
        return reply.status(415).send(apiErrorBody(415, 'UNSUPPORTED_MEDIA_TYPE', message));
      }
      const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
      const { as } = request.query as { as: 'blob' | 'model' };
      const digest = as === 'model' ? await deps.putModel(bytes) : await deps.putBlob(bytes);
      return reply.status(201).send({ digest, size: body.byteLength });
    },
  );
}
