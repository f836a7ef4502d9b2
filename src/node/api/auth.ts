import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Secret } from '../secret.ts';
import { UnauthorizedError } from './errors.ts';

/** The guards {@link requireApiToken} made, so the OpenAPI document can tell which routes they protect. */
const guards = new WeakSet<object>();

/**
 * A fastify hook that admits only requests carrying
 * `Authorization: Bearer <token>`; compares in constant time and throws
 * `UnauthorizedError` (HTTP 401, code `UNAUTHORIZED`) otherwise. Mount it as
 * `onRequest`, so a caller without the token learns nothing about the body's
 * schema and no large body is read before it is refused.
 */
export function requireApiToken(token: Secret): (request: FastifyRequest) => Promise<void> {
  const expected = sha256(token.reveal());
  const guard = async (request: FastifyRequest) => {
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    if (match?.[1] !== undefined && timingSafeEqual(sha256(match[1]), expected)) return;
    throw new UnauthorizedError('Missing or wrong API token.', {
      hint: "Send 'Authorization: Bearer <token>' with the token from <data dir>/api-token.",
    });
  };
  guards.add(guard);
  return guard;
}

/**
 * Whether `handler` is a guard made by {@link requireApiToken}; the OpenAPI
 * document marks the routes it protects as needing the API token.
 */
export function isApiTokenGuard(handler: unknown): boolean {
  return typeof handler === 'function' && guards.has(handler);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
