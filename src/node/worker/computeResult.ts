import type { Task } from '../../chain/taskTypes.ts';
import type { BlobStore } from '../../store/blobStore.ts';
import type { TaskKindRegistry } from '../../tasks/registry.ts';
import { decodeTaskSpec } from '../../tasks/spec.ts';
import { type BlobFetcherDeps, fetchFromProviders } from '../blobFetcher.ts';

/** What computing a task needs. */
export type ComputeDeps = BlobFetcherDeps & { kinds: TaskKindRegistry };

/**
 * A task's result bytes (and whether they are a model checkpoint, stored
 * under its model digest), or why the task cannot be run at all (a bad spec,
 * input or kind).
 */
export type ComputeOutcome = { ok: true; result: Uint8Array; model: boolean } | { ok: false; error: unknown };

/**
 * Runs a task: fetches its spec and inputs from the creator into the store
 * (a failed fetch throws, to be retried), then decodes the spec and runs the
 * kind. Errors of the spec, inputs or kind are returned, not thrown: no retry
 * can fix them, so the node leaves the task.
 */
export async function computeResult(
  deps: ComputeDeps,
  task: Task,
  signal: AbortSignal,
): Promise<ComputeOutcome> {
  const fetch = async (digest: `0x${string}`) =>
    await fetchFromProviders(deps, {
      digest,
      purpose: 'task',
      context: task.id.toString(),
      providers: [task.creator],
      signal,
    });
  await fetch(task.params.specDigest);
  let decoded: ReturnType<typeof decodeTaskSpec>;
  try {
    decoded = decodeTaskSpec(deps.kinds, deps.blobs.getBlob(task.params.specDigest), task.params.kind);
  } catch (error) {
    return { ok: false, error };
  }
  await Promise.all(decoded.kind.inputs(decoded.spec).map(fetch));
  try {
    const blobs: BlobStore = deps.blobs;
    const result = await decoded.kind.run(decoded.spec, {
      signal,
      getBlob: async (digest) => blobs.getBlob(digest),
    });
    return { ok: true, result, model: decoded.kind.resultIsModel === true };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * The wrong result a `--lie` node returns (tests only): the honest bytes with
 * the lowest bit of the fourth-last byte flipped, which in a tensor blob
 * changes the last element's lowest mantissa byte and stays finite.
 */
export function lieAbout(result: Uint8Array): Uint8Array {
  const out = result.slice();
  const i = Math.max(0, out.length - 4);
  out[i] = (out[i] ?? 0) ^ 1;
  return out;
}
