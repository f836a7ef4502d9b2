import { type Hex, keccak256, stringToBytes } from 'viem';
import { TaskAbortedError } from './errors.ts';

/** What a task kind may use while it runs: input blobs by digest, and cancellation. */
export type TaskContext = {
  /** Returns the verified bytes of the blob with this digest (fetched from peers if needed). */
  getBlob(digest: Hex): Promise<Uint8Array>;
  /** Aborted when the node gives up on the task (deadline, shutdown). */
  signal: AbortSignal;
};

/**
 * A task kind plugin: how to validate a spec, which blobs it reads and how
 * to compute the result bytes. `run` must be deterministic: honest nodes
 * return identical bytes for the same spec and inputs.
 */
export type TaskKind<Spec = unknown> = {
  /** The spec's `kind` field, e.g. `'matvec'`. */
  readonly name: string;
  /** `keccak256(name)`: the `kind` recorded on chain. */
  readonly kindId: Hex;
  /** Validates a parsed JSON spec; throws a named error (usually `TaskSpecError`). */
  parseSpec(json: unknown): Spec;
  /** The digests of the blobs the task reads. */
  inputs(spec: Spec): Hex[];
  /**
   * Optional check of the input blobs' contents, run by the creating node
   * before anything goes on chain (after `parseSpec`, once every input is
   * held locally). Throws the kind's named error for inputs no honest node
   * could run (e.g. a malformed wasm module), so such a task is refused at
   * creation instead of failing after the committee has been paid for.
   */
  checkInputs?(spec: Spec, getBlob: TaskContext['getBlob']): Promise<void>;
  /**
   * For kinds that combine a pool's winners (`aggregate`): those winners, in
   * order. The creating node commits to them on chain as the task's
   * `inputsRoot`, which ModelRegistry checks before publishing a version.
   */
  poolInputs?(spec: Spec): Hex[];
  /**
   * The result is a checkpoint that ModelRegistry may publish as a model
   * version (`aggregate`): nodes store and commit it under its model digest
   * (`BlobStore.putModel`), not its sha256, so its pieces can be verified.
   */
  readonly resultIsModel?: boolean;
  /** Computes the result blob's bytes. */
  run(spec: Spec, ctx: TaskContext): Promise<Uint8Array>;
};

/** The on-chain kind id of a kind name: `keccak256(utf8(name))`. */
export function kindIdOf(name: string): Hex {
  return keccak256(stringToBytes(name));
}

/** Builds a `TaskKind` from its parts, deriving `kindId` from `name`. */
export function defineTaskKind<Spec>(kind: Omit<TaskKind<Spec>, 'kindId'>): TaskKind<Spec> {
  return { ...kind, kindId: kindIdOf(kind.name) };
}

/** Throws `TaskAbortedError` if the task's signal was aborted. */
export function throwIfTaskAborted(signal: AbortSignal): void {
  if (signal.aborted) {
    throw new TaskAbortedError('Task run was cancelled.', { cause: signal.reason });
  }
}

/** A TaskContext over a blob map (a missing digest rejects). */
export function mapContext(
  blobs: ReadonlyMap<Hex, Uint8Array>,
  signal: AbortSignal = new AbortController().signal,
): TaskContext {
  return {
    signal,
    getBlob: async (digest) => {
      const bytes = blobs.get(digest);
      if (!bytes) throw new Error(`blob ${digest} was not given to the task`);
      return bytes;
    },
  };
}
