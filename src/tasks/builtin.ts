import { aggregateKind } from './aggregate.ts';
import { embedKind } from './embed.ts';
import { gradientKind } from './gradient.ts';
import type { TaskKind } from './kind.ts';
import { matvecKind } from './matvec.ts';
import { TaskKindRegistry } from './registry.ts';
import { trainKind } from './train.ts';
import { wasmKind } from './wasm.ts';

/**
 * Every task kind a node runs out of the box. Each kind lives in its own
 * file beside this one; add it to this list to make nodes run it.
 */
export const builtinTaskKinds: readonly TaskKind[] = [
  matvecKind,
  trainKind,
  gradientKind,
  aggregateKind,
  embedKind,
  wasmKind,
];

/** A registry holding the built-in task kinds. */
export function createTaskKindRegistry(kinds: readonly TaskKind[] = builtinTaskKinds): TaskKindRegistry {
  return new TaskKindRegistry(kinds);
}

/** The names of the built-in kinds, for help texts: "matvec, train, gradient, …". */
export function builtinKindNames(): string {
  return builtinTaskKinds.map((kind) => kind.name).join(', ');
}
