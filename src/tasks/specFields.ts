import type { Hex } from 'viem';
import { TaskSpecError } from './errors.ts';

/**
 * Field readers shared by every task kind's `parseSpec`. Specs are strict:
 * a spec must be a plain object whose `kind` matches, with exactly the
 * declared fields, so that one task has one spec digest.
 */

/** Checks `json` is an object for `kindName` with exactly `fields` (plus `kind`); returns it. */
export function specObject(
  json: unknown,
  kindName: string,
  fields: readonly string[],
): Record<string, unknown> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new TaskSpecError(`A '${kindName}' task spec must be a JSON object.`, {
      hint: `Write it as {"kind":"${kindName}", ...}.`,
    });
  }
  const obj = json as Record<string, unknown>;
  if (obj.kind !== kindName) {
    throw new TaskSpecError(`Task spec has kind ${JSON.stringify(obj.kind)}, expected '${kindName}'.`);
  }
  const allowed = new Set(['kind', ...fields]);
  const unknown = Object.keys(obj).filter((k) => !allowed.has(k));
  if (unknown.length > 0) {
    throw new TaskSpecError(`Unknown field(s) in '${kindName}' spec: ${unknown.join(', ')}.`, {
      hint: `Allowed fields: ${[...allowed].join(', ')}.`,
    });
  }
  const missing = fields.filter((k) => !(k in obj));
  if (missing.length > 0) {
    throw new TaskSpecError(`Missing field(s) in '${kindName}' spec: ${missing.join(', ')}.`);
  }
  return obj;
}

/** Reads a blob digest field: `0x` + 64 lowercase hex digits. */
export function digestField(obj: Record<string, unknown>, field: string): Hex {
  const value = obj[field];
  if (typeof value !== 'string' || !/^0x[0-9a-f]{64}$/.test(value)) {
    throw new TaskSpecError(`Spec field '${field}' must be a blob digest.`, {
      details: `Got ${JSON.stringify(value)}.`,
      hint: "A digest is '0x' followed by 64 lowercase hex digits (sha2-256 of the blob).",
    });
  }
  return value as Hex;
}

/** Reads a string field that must be one of `allowed` (e.g. the supported kernel versions). */
export function oneOfField<T extends string>(
  obj: Record<string, unknown>,
  field: string,
  allowed: readonly T[],
): T {
  const value = obj[field];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new TaskSpecError(`Spec field '${field}' must be one of: ${allowed.join(', ')}.`, {
      details: `Got ${JSON.stringify(value)}.`,
    });
  }
  return value as T;
}

/** Reads a safe integer field within `[min, max]`. */
export function integerField(obj: Record<string, unknown>, field: string, min: number, max: number): number {
  const value = obj[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new TaskSpecError(`Spec field '${field}' must be an integer in [${min}, ${max}].`, {
      details: `Got ${JSON.stringify(value)}.`,
    });
  }
  return value;
}

/** Reads a finite number field within `[min, max]`. */
export function numberField(obj: Record<string, unknown>, field: string, min: number, max: number): number {
  const value = obj[field];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new TaskSpecError(`Spec field '${field}' must be a number in [${min}, ${max}].`, {
      details: `Got ${JSON.stringify(value)}.`,
    });
  }
  return value;
}
