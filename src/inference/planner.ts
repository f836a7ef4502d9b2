import { type Address, encodePacked, getAddress, type Hex, keccak256 } from 'viem';
import { compareAddresses } from '../core/order.ts';
import { logF32 } from '../tensor/index.ts';
import { ModelTooLargeError, ShardPlanInvalidError } from './errors.ts';
import type { ExchangeSpec } from './exchange.ts';

/**
 * A node that may host shards, with the stake that weighs its chance of being
 * chosen and the most shard bytes it accepts to hold (`memory`; undefined =
 * unlimited).
 */
export type HostCandidate = { readonly address: Address; readonly stake: bigint; readonly memory?: number };

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
  /**
   * Bytes a host holds for one shard (units [start, end) of `spec`); needed
   * when any host has a `memory` cap (see `exchangeShardBytes` for GPT shards).
   */
  readonly shardBytes?: (spec: ExchangeSpec, units: readonly [number, number]) => number;
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
 * parameters give the same plan on every node.
 *
 * Memory caps: a host with a `memory` cap is skipped (the next in rank order
 * takes its place) for a shard whose `shardBytes` no longer fit in what its
 * cap has left. Hosts are placed first, for every shard in matrix order then
 * shard order; standbys then, in the same order, within what the hosts left:
 * a standby holds the shard too, so it counts against its cap, but never
 * keeps a shard from getting its hosts. A shard may get fewer than `standbys`
 * standbys; without caps the plan is the plain rendezvous ranking.
 *
 * Throws ShardPlanInvalidError when there are fewer staked hosts than
 * `replicas`, or on bad numbers; ModelTooLargeError when the caps leave a
 * shard fewer than `replicas` hosts.
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
  const cuts = matrices.flatMap((matrix) =>
    shardRanges(matrix.rows, parameters.sharding).map(([rowStart, rowEnd], shard) => ({
      matrix,
      shard,
      rowStart,
      rowEnd,
      ranked: rankHosts(modelDigest, matrix.name, shard, hosts),
    })),
  );
  const bytes = shardSizes(parameters, hosts, cuts);
  const room = new Map(hosts.flatMap((h) => (h.memory === undefined ? [] : [[h.address, h.memory]])));
  const served = cuts.map((cut, i) => {
    const chosen = take(cut.ranked, replicas, bytes[i]!, room);
    if (chosen.length < replicas) throw tooLarge(cut, bytes, i, parameters, hosts);
    return chosen;
  });
  const shards: ShardAssignment[] = cuts.map(({ matrix, shard, rowStart, rowEnd, ranked }, i) => {
    const rest = ranked.filter((h) => !served[i]!.includes(h));
    return {
      matrix,
      shard,
      rowStart,
      rowEnd,
      hosts: served[i]!,
      standbys: take(rest, standbys, bytes[i]!, room),
    };
  });
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

/** The staked hosts in rendezvous order for one shard, best first. */
function rankHosts(
  modelDigest: Hex,
  name: string,
  shard: number,
  hosts: readonly HostCandidate[],
): Address[] {
  return hosts
    .map((host) => ({ address: host.address, ...rendezvousScore(modelDigest, name, shard, host) }))
    .sort((a, b) => b.score - a.score || b.bits - a.bits || compareAddresses(a.address, b.address))
    .map((h) => h.address);
}

/**
 * The first `count` of `ranked` whose cap still has room for `bytes`
 * (uncapped hosts always have), taking the bytes from their room.
 */
function take(
  ranked: readonly Address[],
  count: number,
  bytes: number,
  room: Map<Address, number>,
): Address[] {
  const out: Address[] = [];
  for (const address of ranked) {
    if (out.length === count) break;
    const left = room.get(address);
    if (left !== undefined) {
      if (left < bytes) continue;
      room.set(address, left - bytes);
    }
    out.push(address);
  }
  return out;
}

/** Each cut's bytes (all 0 when no host has a cap); ShardPlanInvalidError when caps come without `shardBytes` or it gives a bad size. */
function shardSizes(
  parameters: PlanShardsParameters,
  hosts: readonly HostCandidate[],
  cuts: readonly { matrix: ExchangeSpec; rowStart: number; rowEnd: number }[],
): number[] {
  if (hosts.every((h) => h.memory === undefined)) return cuts.map(() => 0);
  const { shardBytes } = parameters;
  if (!shardBytes) {
    throw new ShardPlanInvalidError('Hosts have memory caps but the plan has no shardBytes.', {
      hint: 'Pass shardBytes (exchangeShardBytes for GPT models) with capped hosts.',
    });
  }
  return cuts.map(({ matrix, rowStart, rowEnd }) => {
    const bytes = shardBytes(matrix, [rowStart, rowEnd]);
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new ShardPlanInvalidError(
        `shardBytes gave ${bytes} for ${matrix.name} [${rowStart}, ${rowEnd}).`,
      );
    }
    return bytes;
  });
}

/** The error for a shard the caps leave fewer than `replicas` hosts, with the network's capacity beside what the model needs. */
function tooLarge(
  cut: { matrix: ExchangeSpec; shard: number; rowStart: number; rowEnd: number },
  bytes: readonly number[],
  index: number,
  parameters: PlanShardsParameters,
  hosts: readonly HostCandidate[],
): ModelTooLargeError {
  const { replicas } = parameters;
  const needed = replicas * bytes.reduce((sum, b) => sum + b, 0);
  const capped = hosts.filter((h) => h.memory !== undefined);
  const capacity = capped.reduce((sum, h) => sum + (h.memory ?? 0), 0);
  const uncapped = hosts.length - capped.length;
  const missing = needed - capacity;
  return new ModelTooLargeError(
    `Shard ${cut.shard} of ${cut.matrix.name} (units [${cut.rowStart}, ${cut.rowEnd}), ${bytes[index]} bytes) cannot get ${replicas} hosts within their memory caps.`,
    {
      details:
        `replication ${replicas} needs ${needed} bytes in all; the ${capped.length} capped hosts hold ${capacity} bytes` +
        (uncapped > 0 ? ` and ${uncapped} hosts have no cap` : '') +
        (missing > 0 ? `: ${missing} bytes missing` : ', but not in pieces this shard fits in'),
      hint: 'Lower the replication, raise --max-model-memory, add nodes, or cut smaller shards (--shards-per-matrix).',
    },
  );
}

function staked(hosts: readonly HostCandidate[]): HostCandidate[] {
  const seen = new Set<string>();
  const out: HostCandidate[] = [];
  for (const host of hosts) {
    const address = getAddress(host.address);
    if (seen.has(address)) throw new ShardPlanInvalidError(`Host ${address} is listed twice.`);
    seen.add(address);
    if (host.stake < 0n) throw new ShardPlanInvalidError(`Host ${address} has negative stake.`);
    const { memory } = host;
    if (memory !== undefined && (!Number.isSafeInteger(memory) || memory < 0)) {
      throw new ShardPlanInvalidError(`Host ${address} has memory cap ${memory}; give an integer >= 0.`);
    }
    if (host.stake > 0n)
      out.push(
        memory === undefined ? { address, stake: host.stake } : { address, stake: host.stake, memory },
      );
  }
  return out;
}

function positive(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ShardPlanInvalidError(`${field} must be an integer >= 1 (got ${value}).`);
  }
  return value;
}
