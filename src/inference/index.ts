/**
 * Distributed inference (docs/inference.md): the shard planner, the host and
 * gateway of `/concord/infer/1.0.0`, per-partial-product consensus, speculative decoding, the
 * session receipt, and its settlement on chain (`session.settlement`, `settleAndSlash`).
 */
export type { SessionAdmission, SessionAuth } from './admission.ts';
export { callHost, type HostAnswer, type HostCall, HostChannel, type HostPeer } from './callHost.ts';
export * from './constants.ts';
export { type DecodeOptions, decode, type LinearBackend, localBackend } from './decode.ts';
export * from './errors.ts';
export { InferenceGateway, type InferenceGatewayInit } from './gateway.ts';
export { InferenceHost, type InferenceHostInit, type InferenceHostStats, serveInference } from './host.ts';
export { checkHostedShard, type HostedShard, hostedShardsFromParams, shardKey } from './hostedShards.ts';
export { LocalSpeculationTarget } from './localTarget.ts';
export { gptMatrices, type MatrixSpec, matrixWeights } from './matrices.ts';
export {
  type HostCandidate,
  type PlanShardsParameters,
  planShards,
  rendezvousScore,
  replan,
  type ShardAssignment,
  type Sharding,
  type ShardMove,
  type ShardPlan,
  shardRanges,
  shardsOfHost,
} from './planner.ts';
export {
  type HostTally,
  type ReceiptOfVotesParameters,
  receiptOfVotes,
  type SessionReceipt,
} from './receipt.ts';
export {
  type ConsensusMode,
  type HostFailure,
  InferenceSession,
  type SealEvery,
  type SessionStats,
  type ShardVote,
  type SignatureCheck,
  type TokenEvent,
} from './session.ts';
export {
  type SettlementOutcome,
  type SlashedHost,
  settleAndSlash,
  type UnslashedHost,
} from './settle.ts';
export {
  type BuildSettlementParameters,
  buildSettlement,
  findEquivocations,
  type SessionSettlement,
} from './settlement.ts';
export {
  DEFAULT_DRAFT_TOKENS,
  type DraftModel,
  type SpeculateOptions,
  type SpeculationRound,
  type SpeculationTarget,
  speculativeDecode,
} from './speculate.ts';
export type { RequestHeader, RequestItem } from './wire.ts';
