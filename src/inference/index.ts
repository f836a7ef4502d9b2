/**
 * Distributed inference (docs/inference.md): the shard planner, the exchange
 * shards and the decode loop, speculative decoding, the host and gateway of
 * `/concord/infer/1.0.0`, per-partial-product consensus, the
 * session receipt, and its settlement on chain (`session.settlement`, `settleAndSlash`).
 */
export type { SessionAdmission, SessionAuth } from './admission.ts';
export * from './constants.ts';
export { type DecodeOptions, Decoder, decodeTokens } from './decoder.ts';
export { embedTokens, meanPool } from './embedding.ts';
export * from './errors.ts';
export {
  type CacheWindow,
  type ExchangeBackend,
  type ExchangeKind,
  type ExchangeRequest,
  type ExchangeSpec,
  exchangeShardKey,
  gptExchanges,
} from './exchange.ts';
export type { ShardVote } from './exchangeRound.ts';
export { InferenceGateway, type InferenceGatewayInit } from './gateway.ts';
export { InferenceHost, type InferenceHostInit, type InferenceHostStats, serveInference } from './host.ts';
export { hostedShardsFromParams } from './hostedShards.ts';
export { HostHealth } from './hostHealth.ts';
export { HostLink, type HostPeer, type PartAnswer, type PartCall } from './hostLink.ts';
export { type LocalExchangeBackend, localExchangeBackend } from './localExchangeBackend.ts';
export { type InferenceMetrics, NO_INFERENCE_METRICS } from './metrics.ts';
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
  type GenerateOptions,
  type HostFailure,
  InferenceSession,
  type SealEvery,
  type SessionStats,
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
export type { ConsensusMode } from './shardDecision.ts';
export { exchangeLeafRange, shardFromPieces } from './shards/fromPieces.ts';
export { exchangeShardBytes } from './shards/shardBytes.ts';
export {
  type AttnShardWeights,
  checkExchangeShard,
  cutExchangeShard,
  type ExchangeShardWeights,
  type HeadShardWeights,
  type MlpShardWeights,
} from './shards/weights.ts';
export {
  DEFAULT_DRAFT_TOKENS,
  type DraftModel,
  type SpeculateOptions,
  type SpeculationRound,
  type SpeculationTarget,
  speculativeDecode,
} from './speculate.ts';
export {
  type PlanFlags,
  planFlags,
  type RequestHeader,
  type RequestItem,
  type RequestPart,
} from './wire.ts';
