import { BaseError } from './errors.ts';

/**
 * Canonical JSON: the one byte string every node derives from a JSON value,
 * so a task spec has exactly one digest. Object keys are sorted by UTF-16
 * code units (as in RFC 8785), there is no whitespace, strings and numbers
 * are written as `JSON.stringify` writes them (ECMAScript's number-to-string
 * is exactly specified). Only plain JSON values are accepted: no `undefined`,
 * functions, bigints, symbols, class instances, NaN or ±Infinity; `-0` is
 * rejected too because JSON cannot tell it from `0`.
 */
export class CanonicalJsonError extends BaseError {
  override name = 'CanonicalJsonError';
  override readonly status = 400;
}

/** Maximum nesting depth accepted, so hostile input cannot exhaust the stack. */
export const CANONICAL_JSON_MAX_DEPTH = 64;

/** Returns the canonical JSON text of `value` (see `CanonicalJsonError` for what is rejected). */
export function canonicalJson(value: unknown): string {
  return write(value, '$', 0);
}

/** Returns the UTF-8 bytes of `canonicalJson(value)`. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

function write(value: unknown, path: string, depth: number): string {
  if (depth > CANONICAL_JSON_MAX_DEPTH) {
    throw new CanonicalJsonError(
      `JSON value nested deeper than ${CANONICAL_JSON_MAX_DEPTH} levels at ${path}.`,
      {
        hint: 'Flatten the structure.',
      },
    );
  }
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Object.is(value, -0)) {
      throw new CanonicalJsonError(`Number ${String(value)} at ${path} has no canonical JSON form.`, {
        hint: 'Use finite numbers other than -0.',
      });
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item, i) => write(item, `${path}[${i}]`, depth + 1)).join(',')}]`;
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .map(
        (key) =>
          `${JSON.stringify(key)}:${write((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1)}`,
      );
    return `{${entries.join(',')}}`;
  }
  throw new CanonicalJsonError(`Value of type ${describe(value)} at ${path} is not JSON.`, {
    hint: 'Use only null, booleans, strings, finite numbers, arrays and plain objects.',
  });
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}
