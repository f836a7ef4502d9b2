import { type Address, encodePacked, getAddress, type Hex, keccak256 } from 'viem';
import { compareAddresses } from '../core/order.ts';
import { logF32 } from '../tensor/index.ts';
import { ShardPlanInvalidError } from './errors.ts';
import type { ExchangeSpec } from './exchange.ts';

/** A node that may host shards, with the stake that weighs its chance of being chosen. */
export type HostCandidate = { readonly address: Address; readonly stake: bigint };

/** How matrices are cut into row shards: a fixed number of rows, or a fixed number of shards per matrix. */
export type Sharding = { readonly rowsPerShard: number } | { readonly shardsPerMatrix: number };

/** Everything a plan is computed from; anyone holding it recomputes the same plan. */
export type PlanShardsParameters = {
  /** Digest of the model version (mixed into every score, so each version spreads differently). */
  readonly modelDigest: Hex;
  readonly matrices: readonly ExchangeSpec[];
  readonly hosts: readonly HostCandidate[];
  /** Hosts that compute each shard (r). */
  readonly replicas: number;
  /** Ranked standbys per shard (s), used when a host fails or is outvoted. */
  readonly standbys: number;
  readonly sharding: Sharding;
};

/** One row shard of one matrix and who serves it. */
export type ShardAssignment = {
  readonly matrix: ExchangeSpec;
  /** Index of the shard within its matrix. */
  readonly shard: number;
  /** First row (inclusive) and last row (exclusive) of the weight the shard holds. */
  readonly rowStart: number;
  readonly rowEnd: number;
  /** The r highest-scoring hosts, best first. */
  readonly hosts: readonly Address[];
  /** The next s hosts in score order. */
  readonly standbys: readonly Address[];
};

/** A model version's shard plan. */
export type ShardPlan = {
  readonly parameters: PlanShardsParameters;
  /** Shards of every matrix, in matrix order, then shard order. */
  readonly shards: readonly ShardAssignment[];
};

/** How one shard's host set changed between two plans. */
export type ShardMove = {
  readonly name: string;
  readonly shard: number;
  readonly added: readonly Address[];
  readonly removed: readonly Address[];
};

const TWO_POW_52 = 2 ** 52;

/**
 * Stake-weighted rendezvous score of `host` for one shard (the logarithmic
 * method): u in (0, 1) from the top 52 bits of
 * keccak256(modelDigest, matrix name, shard, host), score = stake / -ln(u)
 * with Concord's deterministic `logF32`, so every node ranks hosts the same.
 * The highest score wins; a host's chance to rank first is proportional to
 * its stake. Returns the score and the hash bits (the tie-break).
 */
export function rendezvousScore(
  modelDigest: Hex,
  name: string,
  shard: number,
  host: HostCandidate,
): { score: number; bits: number } {
  const hash = keccak256(
    encodePacked(['bytes32', 'string', 'uint32', 'address'], [modelDigest, name, shard, host.address]),
  );
  const bits = Number.parseInt(hash.slice(2, 15), 16); // 52 bits
  const u = (bits + 0.5) / TWO_POW_52; // (0, 1), exact in f64
  const minusLog = -logF32(u); // >= 0; 0 only when u rounds to 1 in f32
  const stake = Number(host.stake);
  return { score: minusLog === 0 ? Number.POSITIVE_INFINITY : stake / minusLog, bits };
}

/** Row ranges of a matrix of `rows` rows under `sharding`: contiguous, in order, covering every row. */
export function shardRanges(rows: number, sharding: Sharding): Array<[number, number]> {
  const count =
    'rowsPerShard' in sharding
      ? Math.ceil(rows / positive(sharding.rowsPerShard, 'rowsPerShard'))
      : Math.min(rows, positive(sharding.shardsPerMatrix, 'shardsPerMatrix'));
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    ranges.push([Math.floor((i * rows) / count), Math.floor(((i + 1) * rows) / count)]);
  }
  return ranges;
}

/**
 * Cuts every matrix into row shards and ranks the hosts of each shard by
 * stake-weighted rendezvous hashing: the first `replicas` serve it, the next
 * `standbys` stand by. Hosts with zero stake are never chosen. Pure: the same
 * parameters give the same plan on every node. Throws ShardPlanInvalidError
 * when there are fewer staked hosts than `replicas`, or on bad numbers.
 */
export function planShards(parameters: PlanShardsParameters): ShardPlan {
  const { modelDigest, matrices, replicas, standbys } = parameters;
  positive(replicas, 'replicas');
  if (!Number.isSafeInteger(standbys) || standbys < 0) {
    throw new ShardPlanInvalidError(`standbys must be an integer >= 0 (got ${standbys}).`);
  }
  const hosts = staked(parameters.hosts);
  if (hosts.length < replicas) {
    throw new ShardPlanInvalidError(
      `${hosts.length} staked hosts cannot give each shard ${replicas} hosts.`,
      {
        hint: 'Lower replicas or register more hosts with stake.',
      },
    );
  }
  const shards: ShardAssignment[] = [];
  for (const matrix of matrices) {
    shardRanges(matrix.rows, parameters.sharding).forEach(([rowStart, rowEnd], shard) => {
      const ranked = hosts
        .map((host) => ({ address: host.address, ...rendezvousScore(modelDigest, matrix.name, shard, host) }))
        .sort((a, b) => b.score - a.score || b.bits - a.bits || compareAddresses(a.address, b.address))
        .map((h) => h.address);
      shards.push({
        matrix,
        shard,
        rowStart,
        rowEnd,
        hosts: ranked.slice(0, replicas),
        standbys: ranked.slice(replicas, replicas + standbys),
      });
    });
  }
  return { parameters, shards };
}

/**
 * Recomputes a plan for a new host set (hosts joined, left or changed stake)
 * and lists, per shard, the hosts that must load it and the hosts that may
 * drop it. Rendezvous hashing moves a shard only when a host that served it
 * left, or a new host outranks one that did.
 */
export function replan(
  plan: ShardPlan,
  hosts: readonly HostCandidate[],
): { plan: ShardPlan; moves: ShardMove[] } {
  const next = planShards({ ...plan.parameters, hosts });
  const moves: ShardMove[] = [];
  next.shards.forEach((after, i) => {
    const before = plan.shards[i]!;
    const added = after.hosts.filter((h) => !before.hosts.includes(h));
    const removed = before.hosts.filter((h) => !after.hosts.includes(h));
    if (added.length > 0 || removed.length > 0) {
      moves.push({ name: after.matrix.name, shard: after.shard, added, removed });
    }
  });
  return { plan: next, moves };
}

/** The shards a host serves (not those it stands by for). */
export function shardsOfHost(plan: ShardPlan, host: Address): ShardAssignment[] {
  const a = getAddress(host);
  return plan.shards.filter((s) => s.hosts.includes(a));
}

function staked(hosts: readonly HostCandidate[]): HostCandidate[] {
  const seen = new Set<string>();
  const out: HostCandidate[] = [];
  for (const host of hosts) {
    const address = getAddress(host.address);
    if (seen.has(address)) throw new ShardPlanInvalidError(`Host ${address} is listed twice.`);
    seen.add(address);
    if (host.stake < 0n) throw new ShardPlanInvalidError(`Host ${address} has negative stake.`);
    if (host.stake > 0n) out.push({ address, stake: host.stake });
  }
  return out;
}

function positive(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ShardPlanInvalidError(`${field} must be an integer >= 1 (got ${value}).`);
  }
  return value;
}
