/**
 * Pieces benchmark (issue 18): how long a fresh host takes to become ready
 * for its planned shards of a GPT-2-small-sized model (124M, random
 * weights), beside the baseline of today's path, in one process on loopback
 * libp2p. The host's shards are those of r = 1 over 4 hosts with 4 shards per
 * matrix: shard 0 of every exchange of `gptExchanges` (a quarter of every
 * matrix), plus the base leaf.
 * - A (baseline): fetch the whole checkpoint blob over `/concord/blob/1.0.0`
 *   into a fresh store, read it back (digest-checked), `readCheckpoint`, and
 *   `cutExchangeShard` for each shard.
 * - B (pieces): fetch the base leaf and each shard's leaf range over
 *   `/concord/pieces/1.0.0` (every range verified against the pieces root;
 *   ranges over ~32 MiB split), and `shardFromPieces` for each.
 * B's shards must equal A's byte for byte. A and B alternate, `reps` times
 * each; the table shows medians and the ratio B / A (target ≤ 0.35), the bytes
 * moved, and the bytes the host keeps alive afterwards (distinct buffers its
 * shards reference) against the planned shards' bytes (target ≤ 1.2). The
 * provider's one-time costs (the opening, and loading + tree for serving) are
 * reported apart. Prints `uptime` at start and end.
 * Run: node bin/run.mjs bench/pieces.ts [reps=3] [small]
 * (`small`: a 4-layer, 256-wide model, for a quick check).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  cutExchangeShard,
  type ExchangeShardWeights,
  type ExchangeSpec,
  exchangeLeafRange,
  exchangeShardBytes,
  gptExchanges,
  shardFromPieces,
  shardRanges,
} from '../src/inference/index.ts';
import { makeGptConfig } from '../src/model/config.ts';
import { GptParams } from '../src/model/params.ts';
import { BASE_LEAF, modelDigest, pieceLayout } from '../src/model/pieces/index.ts';
import { signBlobRequest } from '../src/p2p/blobRequest.ts';
import { serveBlobs, storeBlobSource } from '../src/p2p/blobServer.ts';
import type { ConcordHost } from '../src/p2p/createHost.ts';
import { fetchBlobToStore } from '../src/p2p/fetchBlob.ts';
import { fetchPieces } from '../src/p2p/fetchPieces.ts';
import { signPiecesRequest } from '../src/p2p/piecesRequest.ts';
import { type PieceSource, servePieces } from '../src/p2p/piecesServer.ts';
import { checkpointPieceSource } from '../src/p2p/piecesSource.ts';
import { startTestHost } from '../src/p2p/testing.ts';
import { BlobStore } from '../src/store/blobStore.ts';
import { readCheckpoint, writeCheckpoint } from '../src/tasks/checkpoint.ts';
import { checkpointOpening } from '../src/tasks/checkpointPieces.ts';

const reps = Number(process.argv[2] ?? 3);
const small = process.argv.includes('small');
const CHAIN = 31337;
const HOSTS = 4;
const SHARDS_PER_MATRIX = 4;
/** Largest payload fetched in one pieces request (the server's default limit is 64 MiB). */
const MAX_REQUEST_BYTES = 32 * 2 ** 20;

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const since = (start: number) => performance.now() - start;

/** One planned shard of the fresh host: exchange, shard index, units, and its leaves. */
type Planned = { spec: ExchangeSpec; shard: number; units: [number, number]; leaves: [number, number] };

/**
 * One timed run: wall time to ready, of which signing and fetching, payload
 * bytes received, requests sent, and the shards.
 */
type Run = { ms: number; fetchMs: number; bytes: number; requests: number; shards: ExchangeShardWeights[] };

const loadAtStart = uptime();
const config = small
  ? makeGptConfig({ vocabSize: 4096, contextLength: 256, dModel: 256, nHeads: 8, nLayers: 4 })
  : makeGptConfig({ vocabSize: 50257, contextLength: 1024, dModel: 768, nHeads: 12, nLayers: 12 });
const metadata = { 'concord.bench': 'pieces' };
const params = GptParams.init(config, 18);
const file = writeCheckpoint({ params, metadata });
const layout = pieceLayout(config);
const plan: Planned[] = gptExchanges(config).map((spec) => {
  const units = shardRanges(spec.rows, { shardsPerMatrix: SHARDS_PER_MATRIX })[0]!;
  return { spec, shard: 0, units, leaves: exchangeLeafRange(layout, spec, units) };
});
const plannedBytes = plan.reduce((sum, p) => sum + exchangeShardBytes(config, p.spec, p.units), 0);

const dir = mkdtempSync(join(tmpdir(), 'concord-bench-pieces-'));
const account = privateKeyToAccount(generatePrivateKey());
const chainTime = Math.floor(Date.now() / 1000);
const serverInit = { chainId: CHAIN, chainTime: async () => chainTime, authorize: async () => true };
const hosts: ConcordHost[] = [];
try {
  const providerBlobs = new BlobStore(join(dir, 'provider'));
  const fileDigest = providerBlobs.putBlob(file);

  // The provider's one-time costs: the opening when the checkpoint is stored,
  // then loading it and building its tree when serving starts.
  let start = performance.now();
  const opening = checkpointOpening(file);
  const openingMs = since(start);
  start = performance.now();
  const stored = readCheckpoint(providerBlobs.getBlob(fileDigest));
  const source: PieceSource = checkpointPieceSource(stored.params, stored.metadata, opening);
  void source.tree;
  const serveLoadMs = since(start);
  const digest = modelDigest(opening);

  const [provider, host] = await Promise.all([startTestHost(), startTestHost()]);
  hosts.push(provider, host);
  const blobServer = await serveBlobs(provider, { ...serverInit, source: storeBlobSource(providerBlobs) });
  const piecesServer = await servePieces(provider, {
    ...serverInit,
    sources: (d: Hex) => (d.toLowerCase() === digest ? source : undefined),
  });
  const peer: Multiaddr = provider.getMultiaddrs()[0]!;
  const common = { chainId: CHAIN, purpose: 'host', context: '1:0', chainTime } as const;

  /** A: the whole checkpoint into a fresh store, read back, shards cut. */
  async function wholeCheckpoint(round: number): Promise<Run> {
    const served = blobServer.stats.bytesServed;
    const t = performance.now();
    const blobs = new BlobStore(join(dir, `host-${round}`));
    const request = await signBlobRequest(account, { ...common, digest: fileDigest });
    await fetchBlobToStore(host, { peer, request, blobs });
    const fetchMs = since(t);
    const loaded = readCheckpoint(blobs.getBlob(fileDigest));
    const shards = plan.map((p) => cutExchangeShard(loaded.params, p.spec, p.shard, p.units));
    const ms = since(t);
    rmSync(blobs.root, { recursive: true, force: true });
    return { ms, fetchMs, bytes: blobServer.stats.bytesServed - served, requests: 1, shards };
  }

  /** B: the base leaf and each shard's leaves, verified, assembled. */
  async function pieces(): Promise<Run> {
    const served = piecesServer.stats.bytesServed;
    let requests = 0;
    let fetchMs = 0;
    const fetchLeaves = async ([first, last]: readonly [number, number]) => {
      const out: Uint8Array[] = [];
      const t = performance.now();
      for (const [s, e] of requestRanges(source, first, last)) {
        const request = await signPiecesRequest(account, { ...common, digest, start: s, end: e });
        out.push(...(await fetchPieces(host, { peer, request })).payloads);
        requests++;
      }
      fetchMs += since(t);
      return out;
    };
    const t = performance.now();
    await fetchLeaves([BASE_LEAF, BASE_LEAF + 1]);
    const shards: ExchangeShardWeights[] = [];
    for (const p of plan) {
      shards.push(shardFromPieces(config, p.spec, p.shard, p.units, await fetchLeaves(p.leaves)));
    }
    const ms = since(t);
    return { ms, fetchMs, bytes: piecesServer.stats.bytesServed - served, requests, shards };
  }

  // Each round's shards are compared, measured, then let go (so rounds do not pile up garbage).
  const as: Measured[] = [];
  const bs: Measured[] = [];
  const benchStart = performance.now();
  for (let round = 0; round < reps; round++) {
    const a = await wholeCheckpoint(round);
    const b = await pieces();
    checkSameShards(a.shards, b.shards);
    as.push(measured(a));
    bs.push(measured(b));
  }
  const benchMs = since(benchStart);

  const aMs = median(as.map((r) => r.ms));
  const bMs = median(bs.map((r) => r.ms));
  const aResident = as[0]!.resident;
  const bResident = bs[0]!.resident;
  const baseBytes = source.rangeBytes(BASE_LEAF, BASE_LEAF + 1);
  const name = small ? 'small model' : 'GPT-2-small-sized model';
  console.log(`load at start: ${loadAtStart}`);
  console.log(
    `${name}: ${params.flat.length.toLocaleString('en')} parameters, weights ${mb(params.flat.byteLength)}, checkpoint file ${mb(file.byteLength)}, ${layout.leafCount.toLocaleString('en')} pieces`,
  );
  console.log(
    `fresh host: r = 1 over ${HOSTS} hosts, ${SHARDS_PER_MATRIX} shards per matrix: shard 0 of ${plan.length} exchanges, planned ${mb(plannedBytes)} (+ base leaf ${mb(baseBytes)})`,
  );
  console.log(
    `provider one-time: opening (read + tree + sha256) ${openingMs.toFixed(0)} ms; load + tree for serving ${serveLoadMs.toFixed(0)} ms`,
  );
  console.log(`${reps} rounds alternating A and B (${(benchMs / 1000).toFixed(1)} s); medians:`);
  console.log('');
  console.log(
    '| path | time to ready (rounds) | of which fetching | payload received | requests | host keeps alive | / planned |',
  );
  console.log('|---|---|---|---|---|---|---|');
  const row = (label: string, runs: Measured[], ms: number, resident: number) =>
    console.log(
      `| ${label} | ${ms.toFixed(0)} ms (${runs.map((r) => r.ms.toFixed(0)).join(', ')}) | ${median(runs.map((r) => r.fetchMs)).toFixed(0)} ms | ${mb(runs[0]!.bytes)} | ${runs[0]!.requests} | ${mb(resident)} | ${(resident / plannedBytes).toFixed(2)}× |`,
    );
  row('A: whole checkpoint, read, cut', as, aMs, aResident);
  row('B: pieces of its shards', bs, bMs, bResident);
  console.log('');
  console.log(
    `ratio B / A time to ready: ${(bMs / aMs).toFixed(3)} (target ≤ 0.35); per round: ${bs.map((b, i) => (b.ms / as[i]!.ms).toFixed(3)).join(', ')}`,
  );
  console.log(
    `bytes received B / A: ${(bs[0]!.bytes / as[0]!.bytes).toFixed(3)}; host's resident shard bytes / planned: B ${(bResident / plannedBytes).toFixed(3)} (with the base leaf ${((bResident + baseBytes) / plannedBytes).toFixed(3)}; target ≤ 1.2), A ${(aResident / plannedBytes).toFixed(3)}`,
  );
  console.log("B's shards equal A's byte for byte: yes");
  console.log(`load at end: ${uptime()}`);
} finally {
  await Promise.all(hosts.map((h) => h.stop()));
  rmSync(dir, { recursive: true, force: true });
}

/** Splits leaves [first, last) into consecutive ranges of at most MAX_REQUEST_BYTES of payload (one leaf at least). */
function requestRanges(source: PieceSource, first: number, last: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let start = first;
  while (start < last) {
    let end = start + 1;
    let step = last - end;
    // The largest end within the limit, by halving steps (payload bytes grow with end).
    while (step > 0) {
      const next = Math.min(last, end + step);
      if (next > end && source.rangeBytes(start, next) <= MAX_REQUEST_BYTES) end = next;
      else step >>= 1;
    }
    ranges.push([start, end]);
    start = end;
  }
  return ranges;
}

/** What is kept of a run: its figures, and the bytes its shards keep alive instead of the shards. */
type Measured = Omit<Run, 'shards'> & { resident: number };

function measured({ shards, ...figures }: Run): Measured {
  return { ...figures, resident: retainedBytes(shards) };
}

/** Bytes of the distinct buffers the shards' arrays keep alive (views of a whole model count it whole). */
function retainedBytes(shards: readonly ExchangeShardWeights[]): number {
  const buffers = new Set<ArrayBufferLike>();
  for (const s of shards) for (const a of arraysOf(s)) buffers.add(a.buffer);
  return [...buffers].reduce((sum, b) => sum + b.byteLength, 0);
}

function arraysOf(s: ExchangeShardWeights): Float32Array[] {
  if (s.kind === 'lm_head') return [s.weight];
  if (s.kind === 'mlp') return [s.fc, s.fcBias, s.proj];
  return [s.qkv, s.qkvBias, s.proj];
}

/** Throws unless both lists hold the same shards with the same bytes in every array. */
function checkSameShards(a: readonly ExchangeShardWeights[], b: readonly ExchangeShardWeights[]): void {
  if (a.length !== b.length) throw new Error(`A cut ${a.length} shards, B assembled ${b.length}`);
  for (const [i, x] of a.entries()) {
    const y = b[i]!;
    const [scalarsA, scalarsB] = [JSON.stringify(withoutArrays(x)), JSON.stringify(withoutArrays(y))];
    if (scalarsA !== scalarsB) throw new Error(`shard ${i}: A ${scalarsA}, B ${scalarsB}`);
    const [xs, ys] = [arraysOf(x), arraysOf(y)];
    for (const [j, arr] of xs.entries()) {
      const other = ys[j]!;
      const same = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength).equals(
        Buffer.from(other.buffer, other.byteOffset, other.byteLength),
      );
      if (!same) throw new Error(`shard ${i} (${x.kind}): array ${j} differs between A and B`);
    }
  }
}

function withoutArrays(s: ExchangeShardWeights): Record<string, unknown> {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => !(v instanceof Float32Array)));
}
