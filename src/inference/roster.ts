import type { Address } from 'viem';
import { InferShardUndecidedError } from './errors.ts';
import type { HostHealth } from './hostHealth.ts';
import type { ShardAssignment, ShardPlan } from './planner.ts';

/**
 * Who serves each shard in one session. It starts from the plan, with hosts
 * cooling down after recent failures (HostHealth) replaced by standbys where
 * there are any. A host that fails or is outvoted is retired from every shard
 * for the rest of the session; a shard left with fewer than a quorum of hosts
 * takes its next standby (one line in the log per failover). Not replacing
 * above the quorum keeps a shard's hosts few, so the signers of a decided
 * digest outweigh the shard's whole stake in the session, as slashing requires.
 */
export class ShardRoster {
  readonly #active = new Map<ShardAssignment, Address[]>();
  readonly #standbys = new Map<ShardAssignment, Address[]>();
  readonly #retired = new Set<Address>();
  readonly #quorum: number;
  readonly #log: (line: string) => void;

  /** The roster of a new session under `plan`. */
  constructor(plan: ShardPlan, health: HostHealth, log: (line: string) => void) {
    this.#quorum = Math.floor(plan.parameters.replicas / 2) + 1;
    this.#log = log;
    for (const s of plan.shards) {
      const spare = s.standbys.filter((h) => !health.cooling(h));
      const replaced: Address[] = [];
      const active = s.hosts.map((h) => {
        if (!health.cooling(h) || spare.length === 0) return h;
        replaced.push(h);
        return spare.shift()!;
      });
      this.#active.set(s, active);
      // Cooling standbys and replaced hosts come last: better a host that failed recently than none.
      this.#standbys.set(s, [...spare, ...s.standbys.filter((h) => health.cooling(h)), ...replaced]);
    }
  }

  /** Answers a shard needs: a strict majority of the planned replicas. */
  get quorum(): number {
    return this.#quorum;
  }

  /** The hosts currently serving `s`. */
  active(s: ShardAssignment): readonly Address[] {
    return this.#active.get(s)!;
  }

  /** Whether `host` was retired in this session. */
  retired(host: Address): boolean {
    return this.#retired.has(host);
  }

  /**
   * A standby joining `s` to break a split vote (no majority among everyone
   * asked); throws InferShardUndecidedError when none is left.
   */
  widen(s: ShardAssignment, asked: ReadonlySet<Address>): Address {
    const queue = this.#standbys.get(s)!;
    const active = this.#active.get(s)!;
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (!this.#retired.has(next) && !asked.has(next) && !active.includes(next)) {
        active.push(next);
        return next;
      }
    }
    throw new InferShardUndecidedError(
      `No answer for shard ${s.shard} of ${s.matrix.name} reached a majority.`,
      {
        details: `asked ${[...asked].join(', ')}`,
        hint: 'Plan with more replicas or standbys, or use tolerant mode on heterogeneous hardware.',
      },
    );
  }

  /**
   * Takes `host` out of every shard it serves; shards left below the quorum
   * take a standby. `why` goes in the log line. Returns false when it was
   * retired already.
   */
  retire(host: Address, why: string): boolean {
    if (this.#retired.has(host)) return false;
    this.#retired.add(host);
    const moves: string[] = [];
    for (const [s, active] of this.#active) {
      const i = active.indexOf(host);
      if (i < 0) continue;
      active.splice(i, 1);
      if (active.length >= this.#quorum) continue;
      const queue = this.#standbys.get(s)!;
      while (queue.length > 0) {
        const next = queue.shift()!;
        if (!this.#retired.has(next) && !active.includes(next)) {
          active.push(next);
          moves.push(`${s.matrix.name}/${s.shard} → ${next}`);
          break;
        }
      }
    }
    this.#log(`host ${host} retired (${why})${moves.length > 0 ? `; standbys: ${moves.join(', ')}` : ''}`);
    return true;
  }
}
