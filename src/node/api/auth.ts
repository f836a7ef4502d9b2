import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Secret } from '../secret.ts';
import { UnauthorizedError } from './errors.ts';

/**
 * A fastify preHandler that admits only requests carrying
 * `Authorization: Bearer <token>`; compares in constant time and throws
 * `UnauthorizedError` (HTTP 401, code `UNAUTHORIZED`) otherwise.
 */
export function requireApiToken(token: Secret): (request: FastifyRequest) => Promise<void> {
  const expected = sha256(token.reveal());
  return async (request) => {
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    if (match?.[1] !== undefined && timingSafeEqual(sha256(match[1]), expected)) return;
    throw new UnauthorizedError('Missing or wrong API token.', {
      hint: "Send 'Authorization: Bearer <token>' with the token from <data dir>/api-token.",
    });
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
