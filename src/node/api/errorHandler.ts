import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { NodeMetrics } from '../metrics.ts';
import { apiErrorBody, RouteNotFoundError, toApiError } from './errors.ts';

/** What the API's error handler reports to. */
export type ErrorReporting = {
  /** Counts each error answered, by code. */
  metrics: Pick<NodeMetrics, 'errors'>;
  /** Called with every server-side failure (5xx), e.g. to log it. */
  onServerError?: ((err: unknown, status: number) => void) | undefined;
};

/**
 * Answers `err` in the API's error shape (`toApiError`): counted by code,
 * reported when it is a server failure. Used as the app's error handler and
 * for the framework's own refusals (`frameworkErrors`: a malformed URL or an
 * over-long path parameter), so every refusal has the same body.
 */
export function answerError(reporting: ErrorReporting, err: unknown, reply: FastifyReply): FastifyReply {
  const { status, body, headers } = toApiError(err);
  reporting.metrics.errors.inc({ code: body.error.code });
  if (status >= 500) reporting.onServerError?.(err, status);
  return reply.status(status).headers(headers).send(body);
}

/**
 * Installs the API's one error handler and its not-found handler on `app`:
 * every error of every route (and every unknown route, 404 `NOT_FOUND`) is
 * answered by {@link answerError}.
 */
export function installErrorHandlers(app: FastifyInstance, reporting: ErrorReporting): void {
  app.setErrorHandler(async (err, _request, reply) => answerError(reporting, err, reply));
  app.setNotFoundHandler(async (request: FastifyRequest, reply) =>
    answerError(
      reporting,
      new RouteNotFoundError(`No route ${request.method} ${request.url.split('?')[0]}.`),
      reply,
    ),
  );
}

/**
 * The HTTP server's `clientError` handler: a request the server refuses
 * before fastify sees it (headers over `maxHeaderSize` → 431
 * `HEADERS_TOO_LARGE`, a request timeout → 408 `REQUEST_TIMEOUT`, malformed
 * HTTP → 400 `BAD_REQUEST`) is answered in the API's error shape, then the
 * connection is closed.
 */
export function writeClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'The request headers are too large.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'The request took too long to arrive.']
        : [400, 'BAD_REQUEST', 'The request is not valid HTTP.'];
  const body = JSON.stringify(apiErrorBody(status, code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
