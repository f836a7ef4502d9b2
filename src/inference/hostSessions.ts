import type { Hex } from 'viem';
import type { StatementItem } from '../chain/inferenceStatement.ts';
import { CACHE_IDLE_MS, MAX_CACHED_SESSIONS, MAX_TRACKED_SESSIONS } from './constants.ts';
import { InferHostBusyError } from './errors.ts';
import { InputChain } from './inputChain.ts';
import { HeadGroupCache } from './shards/kvCache.ts';
import type { AttnShardWeights } from './shards/weights.ts';

/** A host's attention state of one shard in one session: the keys and values, and the chain of their inputs. */
export type ShardWindow = { readonly cache: HeadGroupCache; chain: InputChain };

/** What a host remembers of one session. */
export type HostSession = {
  /** The last step answered (a step not after it is a replay). */
  lastStep: number;
  /** Items answered since the last signature, oldest first. */
  unsealed: StatementItem[];
  /** Attention windows by shard key; empty until the session is fed (or after its caches were dropped). */
  readonly windows: Map<string, ShardWindow>;
  /** When the session last used its windows (ms, `now()`). */
  usedAt: number;
};

/**
 * The sessions a host serves, bounded twice: the replay state of at most
 * `MAX_TRACKED_SESSIONS` (the oldest forgotten first), and attention caches —
 * the memory that grows with context — of at most `maxCached` sessions. A
 * session that needs caches when that many hold them takes those of the
 * least recently used one idle for `idleMs`; when none is, the host is busy
 * (InferHostBusyError) and the gateway tries again or elsewhere. A session
 * whose caches were dropped gets them back when the gateway resends its window.
 */
export class HostSessions {
  readonly #sessions = new Map<Hex, HostSession>();
  readonly #cached = new Set<Hex>();
  readonly #maxCached: number;
  readonly #idleMs: number;
  readonly #now: () => number;

  /** Limits default to MAX_CACHED_SESSIONS and CACHE_IDLE_MS; `now` is injectable for tests. */
  constructor(options: { maxCached?: number; idleMs?: number; now?: () => number } = {}) {
    this.#maxCached = options.maxCached ?? MAX_CACHED_SESSIONS;
    this.#idleMs = options.idleMs ?? CACHE_IDLE_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Whether the host has served `session` (it then needs no auth again). */
  has(session: Hex): boolean {
    return this.#sessions.has(session);
  }

  /** The session's state, created when new; it becomes the most recently used. */
  get(session: Hex): HostSession {
    const state = this.#sessions.get(session) ?? {
      lastStep: -1,
      unsealed: [],
      windows: new Map(),
      usedAt: this.#now(),
    };
    this.#sessions.delete(session);
    this.#sessions.set(session, state);
    if (this.#sessions.size > MAX_TRACKED_SESSIONS) {
      const oldest = this.#sessions.keys().next().value as Hex;
      this.#sessions.delete(oldest);
      this.#cached.delete(oldest);
    }
    return state;
  }

  /**
   * The attention window of `shard` in `session`, created (empty) when the
   * session holds none for it; throws InferHostBusyError when caching one more
   * session would exceed the bound and no cached session is idle.
   */
  window(session: Hex, key: string, shard: AttnShardWeights, capacity: number): ShardWindow {
    const state = this.get(session);
    state.usedAt = this.#now();
    let window = state.windows.get(key);
    if (window) return window;
    if (!this.#cached.has(session)) this.#makeRoom();
    this.#cached.add(session);
    window = {
      cache: new HeadGroupCache(shard.headEnd - shard.headStart, shard.headDim, capacity),
      chain: new InputChain(),
    };
    state.windows.set(key, window);
    return window;
  }

  #makeRoom(): void {
    if (this.#cached.size < this.#maxCached) return;
    const now = this.#now();
    let victim: Hex | undefined;
    for (const id of this.#cached) {
      const s = this.#sessions.get(id)!;
      if (
        now - s.usedAt >= this.#idleMs &&
        (victim === undefined || s.usedAt < this.#sessions.get(victim)!.usedAt)
      )
        victim = id;
    }
    if (victim === undefined) {
      throw new InferHostBusyError(`this host holds the caches of ${this.#maxCached} active sessions`);
    }
    this.#sessions.get(victim)!.windows.clear();
    this.#cached.delete(victim);
  }
}
