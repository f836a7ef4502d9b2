import { BaseError } from '../../core/errors.ts';

/** An operation of stand-in dependencies (`inert`) was called: they exist only to register routes. */
export class ApiReferenceCallError extends BaseError {
  override name = 'ApiReferenceCallError';
}

/**
 * A stand-in for a dependency object (the OpenAPI generator builds the API
 * from them; tests of some routes stand them in for the others): the `given` members as they are, every
 * other member (at any depth) a function that throws ApiReferenceCallError
 * when called. Route registration may read members but must not call them.
 */
export function inert<T>(label: string, given: Partial<T> = {}): T {
  const member = (path: string): unknown =>
    new Proxy(() => undefined, {
      apply() {
        throw new ApiReferenceCallError(`${path}() was called on a stand-in dependency.`, {
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
