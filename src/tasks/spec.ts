import type { Hex } from 'viem';
import { CanonicalJsonError, canonicalJson } from '../core/canonicalJson.ts';
import { digestBytes } from '../core/digest.ts';
import { TaskSpecError } from './errors.ts';
import type { TaskKind } from './kind.ts';
import type { TaskKindRegistry } from './registry.ts';

/** Largest spec blob accepted, checked before parsing. */
export const TASK_SPEC_MAX_BYTES = 64 * 1024;

/** A spec as stored: its canonical JSON bytes and their digest (the on-chain `specDigest`). */
export type EncodedTaskSpec = { bytes: Uint8Array; digest: Hex };

/** A spec blob decoded and validated by its kind. */
export type DecodedTaskSpec = { kind: TaskKind; spec: unknown };

/** Encodes a spec as canonical JSON and digests it; the spec is validated by its kind first. */
export function encodeTaskSpec(registry: TaskKindRegistry, spec: unknown): EncodedTaskSpec {
  const kind = registry.get(kindNameOf(spec));
  kind.parseSpec(spec);
  let text: string;
  try {
    text = canonicalJson(spec);
  } catch (err) {
    if (err instanceof CanonicalJsonError) {
      throw new TaskSpecError('Task spec is not plain JSON.', { details: err.shortMessage, cause: err });
    }
    throw err;
  }
  const bytes = new TextEncoder().encode(text);
  checkSize(bytes);
  return { bytes, digest: digestBytes(bytes) };
}

/**
 * Decodes a spec blob: size limit, UTF-8, JSON, canonical form (so the digest
 * is the only one the spec can have), known kind, matching on-chain kind id
 * when given, and the kind's own validation.
 */
export function decodeTaskSpec(
  registry: TaskKindRegistry,
  bytes: Uint8Array,
  expectedKindId?: Hex,
): DecodedTaskSpec {
  checkSize(bytes);
  let text: string;
  let json: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    json = JSON.parse(text);
  } catch (cause) {
    throw new TaskSpecError('Task spec blob is not UTF-8 JSON.', { cause });
  }
  let canonical: string | undefined;
  try {
    canonical = canonicalJson(json);
  } catch {
    canonical = undefined;
  }
  if (canonical !== text) {
    throw new TaskSpecError('Task spec blob is not in canonical JSON form.', {
      hint: 'Encode specs with encodeTaskSpec (sorted keys, no whitespace).',
    });
  }
  const kind = registry.get(kindNameOf(json));
  if (expectedKindId !== undefined && kind.kindId.toLowerCase() !== expectedKindId.toLowerCase()) {
    throw new TaskSpecError(
      `Task spec says kind '${kind.name}' but the task's on-chain kind is ${expectedKindId}.`,
      {
        hint: 'The task was created with a mismatching spec; it cannot be run.',
      },
    );
  }
  return { kind, spec: kind.parseSpec(json) };
}

function kindNameOf(json: unknown): string {
  const kind = json !== null && typeof json === 'object' ? (json as Record<string, unknown>).kind : undefined;
  if (typeof kind !== 'string') {
    throw new TaskSpecError("Task spec has no string field 'kind'.", { hint: 'Add e.g. "kind":"matvec".' });
  }
  return kind;
}

function checkSize(bytes: Uint8Array): void {
  if (bytes.byteLength > TASK_SPEC_MAX_BYTES) {
    throw new TaskSpecError(
      `Task spec is ${bytes.byteLength} bytes, over the ${TASK_SPEC_MAX_BYTES}-byte limit.`,
      {
        hint: 'Put large data in input blobs and reference them by digest.',
      },
    );
  }
}
