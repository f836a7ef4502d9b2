import type { Hex } from 'viem';
import { DuplicateTaskKindError, UnknownTaskKindError } from './errors.ts';
import type { TaskKind } from './kind.ts';

/** The task kinds a node can run, found by name (`'matvec'`) or on-chain kind id. */
export class TaskKindRegistry {
  readonly #byName = new Map<string, TaskKind>();
  readonly #byId = new Map<string, TaskKind>();

  /** Creates a registry holding `kinds`. */
  constructor(kinds: readonly TaskKind[] = []) {
    for (const kind of kinds) this.register(kind);
  }

  /** Adds a kind; a name registered twice is a `DuplicateTaskKindError`. */
  register(kind: TaskKind): void {
    if (this.#byName.has(kind.name)) {
      throw new DuplicateTaskKindError(`Task kind '${kind.name}' is already registered.`, {
        hint: 'Give each task kind a unique name.',
      });
    }
    this.#byName.set(kind.name, kind);
    this.#byId.set(kind.kindId.toLowerCase(), kind);
  }

  /** Returns the kind with this name or kind id; throws `UnknownTaskKindError` if none. */
  get(nameOrKindId: string | Hex): TaskKind {
    const kind = this.#byName.get(nameOrKindId) ?? this.#byId.get(nameOrKindId.toLowerCase());
    if (!kind) {
      throw new UnknownTaskKindError(`Unknown task kind '${nameOrKindId}'.`, {
        details: `Known kinds: ${this.names().join(', ') || '(none)'}.`,
        hint: 'Use one of the known kinds, or upgrade this node to a version that supports it.',
      });
    }
    return kind;
  }

  /** Whether a kind with this name or kind id is registered. */
  has(nameOrKindId: string | Hex): boolean {
    return this.#byName.has(nameOrKindId) || this.#byId.has(nameOrKindId.toLowerCase());
  }

  /** The registered kind names, sorted. */
  names(): string[] {
    return [...this.#byName.keys()].sort();
  }
}
