import { type Address, getAddress, type Hex } from 'viem';
import type { DraftModel } from '../../inference/index.ts';
import {
  type ExchangeShardWeights,
  exchangeLeafRange,
  exchangeShardKey,
  type ShardPlan,
  shardFromPieces,
} from '../../inference/index.ts';
import type { GptConfig, GptParams, Tokenizer } from '../../model/index.ts';
import {
  BASE_LEAF,
  decodeBasePiece,
  type ModelOpening,
  type PieceLayout,
  paramsFromPieces,
  pieceLayout,
  vocabLeaves,
} from '../../model/pieces/index.ts';
import type { PieceSource } from '../../p2p/piecesServer.ts';
import { TOKENIZER_METADATA_KEY, tokenizerFromMetadata } from '../../tasks/tokenizerMetadata.ts';
import type { BlobFetcherDeps } from '../blobFetcher.ts';
import { fetchPiecesFromProviders } from '../pieceFetcher.ts';
import { draftFor } from './draftModel.ts';
import { hostContext } from './versionCheckpoint.ts';

/** Leaves fetched in one request at most (the pieces server's payload limit holds them for any model here). */
const LEAVES_PER_FETCH = 4096;

/** Which version to fetch pieces of, and from whom. */
export type VersionSource = {
  modelId: bigint;
  versionIndex: bigint;
  /** The version's model digest (the chain's). */
  digest: Hex;
  /** Accounts that may hold the version's pieces, most likely first. */
  providers: readonly Address[];
  /** The pieces of the whole checkpoint when this node's store holds it (read here, not fetched). */
  local?: PieceSource | undefined;
  signal?: AbortSignal;
};

/** What a node knows of a version from its base piece alone: enough to plan, tokenize and draft. */
export type VersionBase = {
  readonly opening: ModelOpening;
  readonly layout: PieceLayout;
  readonly config: GptConfig;
  /** The base piece itself (the gateway's own weights). */
  readonly base: Uint8Array;
  readonly tokenizer: Tokenizer;
  readonly draft: DraftModel | undefined;
};

/** Fetches and verifies a version's base piece: its config, metadata, and the gateway's small weights. */
export async function loadVersionBase(deps: BlobFetcherDeps, source: VersionSource): Promise<VersionBase> {
  const { opening, payloads } = await fetchRange(deps, source, [BASE_LEAF, BASE_LEAF + 1]);
  const base = payloads[0]!;
  const { config, metadata } = decodeBasePiece(base);
  return {
    opening,
    layout: pieceLayout(config),
    config,
    base,
    tokenizer: tokenizerFromMetadata(metadata, config.vocabSize),
    draft: draftFor(metadata[TOKENIZER_METADATA_KEY]),
  };
}

/**
 * The weights of every shard `self` serves or stands by for under `plan`,
 * each fetched as its own range of pieces (verified against the version's
 * root) unless `held` already has it: a replan fetches only the shards that
 * changed hands. Returns the shards in plan order.
 */
export async function loadHostedShards(
  deps: BlobFetcherDeps,
  source: VersionSource,
  base: VersionBase,
  params: { plan: ShardPlan; self: Address; held: ReadonlyMap<string, ExchangeShardWeights> },
): Promise<ExchangeShardWeights[]> {
  const self = getAddress(params.self);
  const shards: ExchangeShardWeights[] = [];
  for (const s of params.plan.shards) {
    if (!s.hosts.includes(self) && !s.standbys.includes(self)) continue;
    const key = hostedShardKey(s.matrix.layer, s.matrix.matrix, s.shard, s.rowStart, s.rowEnd);
    const kept = params.held.get(key);
    if (kept) {
      shards.push(kept);
      continue;
    }
    const units: [number, number] = [s.rowStart, s.rowEnd];
    const payloads = await fetchLeaves(deps, source, exchangeLeafRange(base.layout, s.matrix, units));
    shards.push(shardFromPieces(base.config, s.matrix, s.shard, units, payloads));
  }
  return shards;
}

/** The key `loadHostedShards` keeps a shard under: its exchange, shard index and unit range. */
export function hostedShardKey(
  layer: number,
  matrix: ExchangeShardWeights['kind'],
  shard: number,
  start: number,
  end: number,
): string {
  return `${exchangeShardKey(layer, matrix, shard)}:${start}-${end}`;
}

/** The gateway's parameters: its base piece and the embeddings (every vocabulary piece), nothing hosted. */
export async function loadGatewayParams(
  deps: BlobFetcherDeps,
  source: VersionSource,
  base: VersionBase,
): Promise<GptParams> {
  const vocab = await fetchLeaves(deps, source, vocabLeaves(base.layout, 0, base.config.vocabSize));
  return paramsFromPieces(base.base, vocab);
}

/** Fetches leaves [start, end) in requests of at most LEAVES_PER_FETCH leaves. */
async function fetchLeaves(
  deps: BlobFetcherDeps,
  source: VersionSource,
  [start, end]: readonly [number, number],
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let from = start; from < end; from += LEAVES_PER_FETCH) {
    const { payloads } = await fetchRange(deps, source, [from, Math.min(end, from + LEAVES_PER_FETCH)]);
    out.push(...payloads);
  }
  return out;
}

async function fetchRange(
  deps: BlobFetcherDeps,
  source: VersionSource,
  [start, end]: readonly [number, number],
): Promise<{ opening: ModelOpening; payloads: Uint8Array[] }> {
  const { local } = source;
  if (local) {
    const payloads: Uint8Array[] = [];
    for (let i = start; i < end; i++) payloads.push(local.payload(i));
    return { opening: local.opening, payloads };
  }
  return await fetchPiecesFromProviders(deps, {
    digest: source.digest,
    purpose: 'host',
    context: hostContext(source.modelId, source.versionIndex),
    start,
    end,
    providers: source.providers,
    ...(source.signal ? { signal: source.signal } : {}),
  });
}
