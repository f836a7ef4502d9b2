import { type Address, getAddress, type Hex, isAddress } from 'viem';
import { isBytes32 } from '../core/bytes32.ts';
import { MAX_GOSSIP_BYTES } from './constants.ts';
import { GossipMessageInvalidError } from './errors.ts';

/** The task events nodes announce to each other. */
export type TaskAnnouncementType = 'task-created' | 'revealed' | 'finalized';

/**
 * A gossip announcement on `/concord/tasks/1`. It only wakes nodes early:
 * the chain stays the source of truth, so a receiver re-reads the task there.
 */
export type TaskAnnouncement = {
  type: TaskAnnouncementType;
  chainId: number;
  taskId: bigint;
  /** The announcing node's account. */
  from: Address;
  /** The transaction that made the event. */
  txHash?: Hex;
  /** `revealed`: the revealed digest; `finalized`: the winning digest. */
  resultDigest?: Hex;
  /** `task-created`: the pool the task belongs to (decimal). */
  pool?: string;
};

const TYPES: readonly string[] = ['task-created', 'revealed', 'finalized'];
const KEYS: readonly string[] = ['v', 'type', 'chainId', 'taskId', 'from', 'txHash', 'resultDigest', 'pool'];
const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;
const UINT256_MAX = (1n << 256n) - 1n;

/** Encodes an announcement as JSON bytes (`taskId` as a decimal string), validating it first. */
export function encodeTaskAnnouncement(a: TaskAnnouncement): Uint8Array {
  const wire: Record<string, unknown> = {
    v: 1,
    type: a.type,
    chainId: a.chainId,
    taskId: typeof a.taskId === 'bigint' ? a.taskId.toString(10) : a.taskId,
    from: a.from,
  };
  if (a.txHash !== undefined) wire.txHash = a.txHash;
  if (a.resultDigest !== undefined) wire.resultDigest = a.resultDigest;
  if (a.pool !== undefined) wire.pool = a.pool;
  const bytes = new TextEncoder().encode(JSON.stringify(wire));
  decodeTaskAnnouncement(bytes);
  return bytes;
}

/** Decodes untrusted gossip bytes; anything off-schema raises `GossipMessageInvalidError`. */
export function decodeTaskAnnouncement(bytes: Uint8Array): TaskAnnouncement {
  if (bytes.byteLength > MAX_GOSSIP_BYTES) invalid(`${bytes.byteLength} bytes exceed ${MAX_GOSSIP_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return invalid('not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return invalid('not an object');
  const v = value as Record<string, unknown>;
  const extra = Object.keys(v).find((k) => !KEYS.includes(k));
  if (extra !== undefined) invalid(`unknown field ${JSON.stringify(extra.slice(0, 40))}`);
  if (v.v !== 1) invalid('unknown version');
  if (typeof v.type !== 'string' || !TYPES.includes(v.type)) invalid('unknown type');
  if (!Number.isSafeInteger(v.chainId) || (v.chainId as number) <= 0) invalid('bad chainId');
  if (typeof v.taskId !== 'string' || !DECIMAL.test(v.taskId) || BigInt(v.taskId) > UINT256_MAX) {
    invalid('taskId is not a decimal uint256');
  }
  if (typeof v.from !== 'string' || !isAddress(v.from, { strict: false })) invalid('from is not an address');
  const out: TaskAnnouncement = {
    type: v.type as TaskAnnouncementType,
    chainId: v.chainId as number,
    taskId: BigInt(v.taskId as string),
    from: getAddress(v.from as string),
  };
  if (v.txHash !== undefined) out.txHash = bytes32(v.txHash, 'txHash');
  if (v.resultDigest !== undefined) out.resultDigest = bytes32(v.resultDigest, 'resultDigest');
  if (v.pool !== undefined) {
    if (typeof v.pool !== 'string' || !DECIMAL.test(v.pool)) invalid('pool is not a decimal id');
    out.pool = v.pool as string;
  }
  return out;
}

function bytes32(value: unknown, field: string): Hex {
  if (!isBytes32(value)) invalid(`${field} is not 32 bytes of hex`);
  return (value as Hex).toLowerCase() as Hex;
}

function invalid(reason: string): never {
  throw new GossipMessageInvalidError(`Invalid task announcement: ${reason}.`);
}
