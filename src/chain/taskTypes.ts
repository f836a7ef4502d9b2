import { type Address, encodeAbiParameters, type Hex, keccak256, toBytes, zeroHash } from 'viem';
import { escrowFor } from '../core/rewards.ts';

/** What a creator chooses for a task (TaskMarket's `TaskParams`); zero defaults for the optional ones. */
export type TaskParams = {
  /** Task kind id, see {@link taskKindId}. */
  kind: Hex;
  /** Content digest of the task spec (inputs, parameters, kernel version). */
  specDigest: Hex;
  /** Pool (round) whose winners exchange results; zero for none. */
  pool?: Hex;
  /** For aggregate tasks: `poolInputsRoot(pool)`; zero otherwise. */
  inputsRoot?: Hex;
  /** Reward per winner with one revealer, in token units. */
  baseReward: bigint;
  /** Bond each committer posts. */
  bond?: bigint;
  /** Registry stake taken from each minority revealer. */
  stakeSlash?: bigint;
  /** Reward growth per extra revealer, in basis points. */
  growthBps?: number;
  maxParticipants: number;
  quorum: number;
  committeeSize: number;
  /** Unix seconds: commits close. */
  commitDeadline: bigint;
  /** Unix seconds: reveals close, after `commitDeadline`. */
  revealDeadline: bigint;
};

/** The struct TaskMarket's ABI expects, every field present. */
export type TaskParamsStruct = Required<TaskParams>;

/** Fills the optional fields of {@link TaskParams} with their zero defaults. */
export function toTaskParamsStruct(p: TaskParams): TaskParamsStruct {
  return {
    kind: p.kind,
    specDigest: p.specDigest,
    pool: p.pool ?? zeroHash,
    inputsRoot: p.inputsRoot ?? zeroHash,
    baseReward: p.baseReward,
    bond: p.bond ?? 0n,
    stakeSlash: p.stakeSlash ?? 0n,
    growthBps: p.growthBps ?? 0,
    maxParticipants: p.maxParticipants,
    quorum: p.quorum,
    committeeSize: p.committeeSize,
    commitDeadline: p.commitDeadline,
    revealDeadline: p.revealDeadline,
  };
}

/** The escrow TaskMarket takes from the creator for `p` under a protocol fee of `feeBps` (`marketLimits`). */
export function taskEscrow(p: TaskParams, feeBps: number): bigint {
  return escrowFor(p.baseReward, p.growthBps ?? 0, p.maxParticipants, feeBps);
}

/** The on-chain kind id of a named task kind: `keccak256(name)` (as `AGGREGATE_KIND = keccak256("aggregate")`). */
export function taskKindId(name: string): Hex {
  return keccak256(toBytes(name));
}

/** Lifecycle of a task, by TaskMarket's enum order. */
export const TASK_STATUS = ['none', 'open', 'finalized', 'failed'] as const;
/** One of {@link TASK_STATUS}. */
export type TaskStatus = (typeof TASK_STATUS)[number];

/** A task as TaskMarket stores it. */
export type Task = {
  id: bigint;
  params: TaskParamsStruct;
  creator: Address;
  createdBlock: bigint;
  status: TaskStatus;
  committeeDrawn: boolean;
  creatorClaimed: boolean;
  committeeLength: number;
  committed: number;
  revealed: number;
  winners: number;
  /** The winning result digest (zero unless finalized). */
  winner: Hex;
  escrow: bigint;
  /** Reward per winner, set at finalization. */
  reward: bigint;
  /** Lost bonds and slashed stake shared by the winners. */
  pot: bigint;
  creatorRefund: bigint;
};

/**
 * `keccak256(abi.encode(bytes32[] inputs))`: the `inputsRoot` of an aggregate
 * task, which TaskMarket requires to equal its pool's winners in order
 * (`poolInputsRoot`) and ModelRegistry checks when the version is published.
 */
export function inputsRootOf(inputs: readonly Hex[]): Hex {
  return keccak256(encodeAbiParameters([{ type: 'bytes32[]' }], [[...inputs]]));
}
