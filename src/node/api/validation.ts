import AjvCompiler, { type ValidatorFactory } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';
import { API_FORMATS } from './schemas.ts';

/**
 * Ajv options of the API: no property is removed, validation stops at the
 * first error, and the API's own formats (`API_FORMATS`) are known. Type
 * coercion is decided per part by `strictBodyValidator`.
 */
const AJV_CUSTOM_OPTIONS = { removeAdditional: false, allErrors: false, formats: API_FORMATS } as const;

/**
 * The validator factory of the API: JSON bodies are validated strictly (no
 * type coercion: `"2"` or `true` is no integer, `null` no string), while
 * querystrings, path parameters and headers, which are strings on the wire,
 * are coerced to their schema's types as fastify does by default.
 */
function strictBodyValidator(): ValidatorFactory {
  const pool = AjvCompiler();
  return (externalSchemas, options) => {
    const coercing = pool(externalSchemas, options);
    const strict = pool(externalSchemas, {
      ...(options?.plugins === undefined ? {} : { plugins: options.plugins }),
      ...(options?.onCreate === undefined ? {} : { onCreate: options.onCreate }),
      customOptions: { ...AJV_CUSTOM_OPTIONS, coerceTypes: false },
    });
    return (route) => (route.httpPart === 'body' ? strict : coercing)(route);
  };
}

/** The fastify options of the API's validation (`createApi`). */
export function apiValidationOptions(): Pick<FastifyServerOptions, 'ajv' | 'schemaController'> {
  return {
    ajv: { customOptions: AJV_CUSTOM_OPTIONS },
    schemaController: { compilersFactory: { buildValidator: strictBodyValidator() } },
  };
}
