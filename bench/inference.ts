/**
 * Distributed inference against local inference of the same model, in one
 * run. Four inference hosts run as separate OS processes
 * (bench/support/inferenceHostProcess.ts: each its own libp2p node on
 * 127.0.0.1 — TCP, Noise, Yamux — its own copy of the model, its shards'
 * weights copied into kernel memory by the host); the gateway runs in this
 * process. The gateway and the four hosts share the machine's cores, so the
 * hosts of one exchange compute in parallel only as far as the cores allow.
 *
 * For each model (the network's checkpoint `models/concord-char-v3.safetensors`
 * and a GPT-2-small-sized model of 124M random parameters from a seed, which
 * every process builds alike) and each distributed configuration — r = 1 and
 * r = 3 (exact majority), each `--shards` count of shards per exchange, each
 * gateway configuration (`default`, the gateway's: hosts sign once per token and
 * signatures are checked when the receipt is built; `strict`: hosts sign every
 * response and the gateway checks every signature as it arrives) — it decodes
 * greedily in lockstep, one token of each in turn, so that a change of machine
 * load hits all three alike:
 * - local, `decodeTokens` with every shard of the plan computed here, weights in
 *   kernel memory (the fastest single process; the plan's order, so the same bits);
 * - local, `GptGenerator` with weights in kernel memory (today's single-process
 *   decoder; its sums are the plan's only with one shard per exchange, so its
 *   time is shown only where its tokens match);
 * - distributed.
 * Distributed must yield the tokens of the local plan-order run; the bench fails
 * otherwise. Prints per configuration tokens/s, median ms per token, the local
 * medians and the ratios, the consensus layer's share of the token time (deciding votes,
 * checking signatures, the per-token seal round trips; when hosts sign every
 * response, their signing CPU time too), and the CPU time per token of the
 * gateway and of the host processes together (local's for scale): CPU time
 * moves less with machine load than wall time.
 *
 * Across a wide-area link: with `--rtt`, the gateway reaches each host process
 * through its own delay proxy (bench/support/delayProxy.ts, rtt/2 of delay
 * each way; rtt 0 dials the hosts directly), every configuration is measured
 * at each round-trip time, and per configuration and RTT the bench also
 * reports
 * - the time to first token of a `--ttft-prompt`-token prompt (default 128;
 *   0 skips it), in ms and in decode steps (TTFT / median ms per token), with
 *   local plan-order decoding's for scale;
 * - with `--sessions` naming a count above 1: N concurrent sessions on one
 *   gateway, each generating `tokens` tokens from its own 4-token prompt;
 *   aggregate tokens/s = N × tokens / wall time from the start to the last
 *   token (the prompts' prefill included), and its ratio to one session
 *   measured the same way.
 * - with `--draft-tokens k` (network model only): one greedy session
 *   speculating with the shipped n-gram draft, k tokens per pass: tokens/s
 *   and the share of drafted tokens accepted.
 * Every distributed token is checked against local decoding in the plan's order
 * (`decodeTokens` over `localExchangeBackend` with the plan's sharding, per prompt).
 * Run: `node bin/run.mjs bench/inference.ts [tokens] [small|gpt2|both] [--replicas 1,3] [--shards 1,2,4]
 * [--config default,strict] [--rtt 0,20,50] [--sessions 1,16] [--ttft-prompt 128] [--draft-tokens 4]`
 * (node flags such as `--cpu-prof` are passed on to the host processes).
 */

import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { isStartable } from '@libp2p/interface';
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr';
import type { Address, Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { type DecodeOptions, decodeTokens } from '../src/inference/decoder.ts';
import { InferenceGateway } from '../src/inference/gateway.ts';
import { type LocalExchangeBackend, localExchangeBackend } from '../src/inference/localExchangeBackend.ts';
import type { Sharding } from '../src/inference/planner.ts';
import type { SealEvery, SignatureCheck } from '../src/inference/session.ts';
import { TEST_DOMAIN } from '../src/inference/testing.ts';
import {
  decodeNgramDraft,
  GPT2_SMALL,
  GptGenerator,
  type GptParams,
  Rng,
  sampleToken,
} from '../src/model/index.ts';
import { SHIPPED_CHECKPOINT, SHIPPED_CHECKPOINT_NAME, SHIPPED_DRAFT } from '../src/model/shipped.ts';
import type { ConcordHost } from '../src/p2p/createHost.ts';
import { startTestHost } from '../src/p2p/testing.ts';
import { type DelayProxy, startDelayProxy } from './support/delayProxy.ts';
import {
  type BenchModelSource,
  type BenchPlanOptions,
  benchPlan,
  type HostProcessStats,
  loadBenchModel,
  paramsDigest,
} from './support/inferenceModels.ts';

const tokens = Number(process.argv[2] ?? 16);
const which = process.argv[3] ?? 'both';
const listArg = (flag: string, fallback: string) => {
  const i = process.argv.indexOf(flag);
  return (i > 0 ? (process.argv[i + 1] ?? fallback) : fallback).split(',');
};
const shardCounts = listArg('--shards', '1,2,4').map(Number);
const replicaCounts = listArg('--replicas', '1,3').map(Number);
const CONFIGS: Record<string, { signatureCheck: SignatureCheck; sealEvery: SealEvery }> = {
  default: { signatureCheck: 'at-receipt', sealEvery: 'token' },
  strict: { signatureCheck: 'each-response', sealEvery: 'response' },
};
const configNames = listArg('--config', 'default,strict').filter((c) => c in CONFIGS);
/** Round-trip times between the gateway and every host, in ms (0: direct). */
const rtts = listArg('--rtt', '0').map(Number);
/** Concurrent session counts; the concurrency measure runs when one is above 1. */
const sessionCounts = listArg('--sessions', '1').map(Number);
const ttftPromptTokens = Number(listArg('--ttft-prompt', '128')[0]);
/** Draft tokens per pass for a speculative session (network model only, its shipped n-gram draft); 0 skips it. */
const draftTokens = Number(listArg('--draft-tokens', '0')[0]);
if (
  !rtts.every((r) => Number.isFinite(r) && r >= 0) ||
  !sessionCounts.every((n) => Number.isInteger(n) && n >= 1) ||
  !(Number.isInteger(ttftPromptTokens) && ttftPromptTokens >= 0)
) {
  console.error('--rtt takes ms >= 0, --sessions counts >= 1, --ttft-prompt a token count >= 0');
  process.exit(2);
}
const concurrency = sessionCounts.some((n) => n > 1) ? [1, ...sessionCounts.filter((n) => n > 1)] : [];
const HOSTS = 4;
/** Generous per-call timeout: this bench measures speed, not failover, on machines that may be loaded. */
const CALL_TIMEOUT_MS = 120_000;
const prompt = [1, 2, 3, 4];
const options = { temperature: 0, maxNewTokens: tokens, seed: 1 };
const firstTokenOptions = { ...options, maxNewTokens: 1 };
const root = new URL('..', import.meta.url).pathname;

/** One distributed configuration, with the two local baselines measured in lockstep with it. */
type Row = {
  name: string;
  ms: number;
  localKernelMs: number;
  /** GptGenerator's, when its tokens equal the plan-order run's (else undefined). */
  generatorMs: number | undefined;
  consensusShare: number;
  /** CPU time per token: the gateway's (this process, while it generated) and the host processes' together. */
  gatewayCpuMs: number;
  hostsCpuMs: number;
  /** CPU time per token of local decoding with the weights in kernel memory, for scale. */
  localKernelCpuMs: number;
};

/** What the WAN measures found for one distributed configuration at one RTT. */
type WanRow = {
  name: string;
  /** Median ms per token of the lockstep run. */
  ms: number;
  /** Time to the first token of the long prompt: distributed and local (plan order, kernel memory); null when skipped. */
  ttft: { ms: number; localMs: number } | null;
  /** Aggregate tokens/s per concurrent session count. */
  aggregate: Map<number, number>;
  /** One speculative session: tokens/s and the share of drafted tokens accepted; null when not run. */
  speculative: { tokensPerSecond: number; acceptance: number } | null;
};

/**
 * How the gateway reaches the hosts at one round-trip time: its own libp2p
 * node (fresh, so no connection is shared with another RTT's), the peers map
 * it is given and the delay proxies in between (none at RTT 0).
 */
type Link = {
  rtt: number;
  gatewayHost: ConcordHost;
  peers: Map<Address, Multiaddr[]>;
  proxies: DelayProxy[];
};

/** Opens the link of one RTT to hosts that listen at `started`'s multiaddrs. */
async function openLink(
  rtt: number,
  started: readonly { address: Address; multiaddrs: string[] }[],
): Promise<Link> {
  // A node that listens could be dialled back by the hosts, and its DHT learns
  // the hosts' own addresses from other peers and dials them: either direct
  // connection would then carry the sessions' streams past the proxies. So the
  // gateway's node does not listen, and its DHT is stopped.
  const gatewayHost = await startTestHost({ listen: [] });
  const dht: unknown = gatewayHost.services.dht;
  if (isStartable(dht)) await dht.stop();
  if (rtt === 0) {
    const peers = new Map(started.map((s) => [s.address, s.multiaddrs.map((m) => multiaddr(m))]));
    return { rtt, gatewayHost, peers, proxies: [] };
  }
  const proxies: DelayProxy[] = [];
  const peers = new Map<Address, Multiaddr[]>();
  for (const s of started) {
    const listen = s.multiaddrs
      .map((m) => /^\/ip4\/127\.0\.0\.1\/tcp\/(\d+)\/p2p\/(\w+)$/.exec(m))
      .find((m) => m !== null);
    if (!listen) throw new Error(`host ${s.address} has no 127.0.0.1 TCP address: ${s.multiaddrs.join(' ')}`);
    const proxy = await startDelayProxy({
      target: { host: '127.0.0.1', port: Number(listen[1]) },
      oneWayDelayMs: rtt / 2,
    });
    proxies.push(proxy);
    peers.set(s.address, [multiaddr(`/ip4/127.0.0.1/tcp/${proxy.port}/p2p/${listen[2]}`)]);
  }
  return { rtt, gatewayHost, peers, proxies };
}

/** Throws unless every connection of the link's gateway goes through one of its proxies. */
function assertProxied(link: Link): void {
  const ports = new Set(link.proxies.map((p) => String(p.port)));
  for (const connection of link.gatewayHost.getConnections()) {
    const port = /\/tcp\/(\d+)/.exec(connection.remoteAddr.toString())?.[1];
    if (port === undefined || !ports.has(port)) {
      throw new Error(
        `at RTT ${link.rtt} ms the gateway reached ${connection.remoteAddr} past the delay proxies`,
      );
    }
  }
}

/** Stops the link's gateway node, then its proxies. */
async function closeLink(link: Link): Promise<void> {
  await link.gatewayHost.stop();
  await Promise.all(link.proxies.map((p) => p.close()));
}

/** This process's CPU time so far (user + system), in ms. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * Runs token streams in lockstep — one token of each in turn — so that a
 * change of machine load hits every stream alike. Returns each stream's tokens
 * and per-token latencies after the first (which includes the prompt's prefill).
 */
async function lockstep(
  streams: AsyncIterator<number>[],
): Promise<{ tokens: number[]; times: number[]; cpuMs: number }[]> {
  const out = streams.map(() => ({ tokens: [] as number[], times: [] as number[], cpuMs: 0 }));
  for (let open = true; open; ) {
    open = false;
    for (const [i, stream] of streams.entries()) {
      const started = performance.now();
      const cpuStart = cpuMs();
      const next = await stream.next();
      if (next.done) continue;
      open = true;
      out[i]!.tokens.push(next.value);
      out[i]!.times.push(performance.now() - started);
      if (out[i]!.tokens.length > 1) out[i]!.cpuMs += cpuMs() - cpuStart;
    }
  }
  for (const o of out) o.times.shift();
  return out;
}

/** Greedy tokens of `GptGenerator` (cache and workspace in kernel memory), sampled as `decodeTokens` samples. */
async function* generatorTokens(params: GptParams): AsyncGenerator<number> {
  const gen = new GptGenerator(params, 'kernel');
  const rng = new Rng(options.seed);
  try {
    let logits = gen.prefill(prompt)!;
    for (let produced = 1; ; produced++) {
      const token = sampleToken(logits, rng, options);
      yield token;
      if (produced >= options.maxNewTokens) return;
      logits = gen.step(token);
    }
  } finally {
    gen.dispose();
  }
}

/** The tokens of a session's event stream. */
async function* tokensOf(events: AsyncIterable<{ token: number }>): AsyncGenerator<number> {
  for await (const e of events) yield e.token;
}

/** A session's tokens for `p`; throws, naming the hosts' failures, when generation fails or any host failed. */
async function* checked(
  session: ReturnType<InferenceGateway['openSession']>,
  p: readonly number[],
  decodeOptions: DecodeOptions,
): AsyncGenerator<number> {
  try {
    yield* tokensOf(session.generate(p, decodeOptions));
  } catch (err) {
    throw new Error(`generation failed; host failures: ${JSON.stringify(session.failures)}`, { cause: err });
  }
  if (session.failures.length > 0) throw new Error(`host failures: ${JSON.stringify(session.failures)}`);
}

/** The first token of a stream and the ms it took to come; reads the stream to its end (give it one token). */
async function firstToken(stream: AsyncIterator<number>): Promise<{ token: number; ms: number }> {
  const started = performance.now();
  const first = await stream.next();
  if (first.done) throw new Error('the stream yielded no token');
  const ms = performance.now() - started;
  for (let next = await stream.next(); !next.done; next = await stream.next());
  return { token: first.value, ms };
}

/**
 * Local decoding in the plan's order under one sharding (weights in kernel
 * memory): the reference every distributed token is checked against.
 */
class LocalReference {
  readonly #params: GptParams;
  readonly #backend: LocalExchangeBackend;
  /** Greedy tokens per prompt, computed once each. */
  readonly #tokens = new Map<string, string>();

  constructor(params: GptParams, sharding: Sharding) {
    this.#params = params;
    this.#backend = localExchangeBackend(params, sharding, { placement: 'kernel' });
  }

  /** The greedy tokens (`options`) of `p`, comma-joined. */
  async tokens(p: readonly number[]): Promise<string> {
    const key = p.join();
    let joined = this.#tokens.get(key);
    if (joined === undefined) {
      const out: number[] = [];
      for await (const t of decodeTokens(this.#params, p, this.#backend, options)) out.push(t);
      joined = out.join();
      this.#tokens.set(key, joined);
    }
    return joined;
  }

  /** The first token of `p` and its time: the faster of two runs (the first also warms the code up). */
  async firstToken(p: readonly number[]): Promise<{ token: number; ms: number }> {
    const run = () => firstToken(decodeTokens(this.#params, p, this.#backend, firstTokenOptions));
    const [a, b] = [await run(), await run()];
    return b.ms < a.ms ? b : a;
  }

  /** Frees the backend's kernel memory. */
  dispose(): void {
    this.#backend.dispose();
  }
}

/** A host process and its JSON-lines channel (one request at a time). */
class HostProcess {
  readonly #child: ChildProcessByStdio<Writable, Readable, null>;
  readonly #lines: AsyncIterator<string>;

  constructor() {
    this.#child = spawn(
      process.execPath,
      [...process.execArgv, 'bin/run.mjs', 'bench/support/inferenceHostProcess.ts'],
      {
        cwd: root,
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  async request<T>(message: unknown): Promise<T> {
    this.#child.stdin.write(`${JSON.stringify(message)}\n`);
    const line = await this.#lines.next();
    if (line.done) throw new Error('an inference host process exited early');
    return JSON.parse(line.value) as T;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin.end();
    await exited;
  }
}

async function run(label: string, source: BenchModelSource): Promise<void> {
  const keys: Hex[] = Array.from({ length: HOSTS }, () => generatePrivateKey());
  const processes = keys.map(() => new HostProcess());
  const draft =
    draftTokens > 0 && source.kind === 'checkpoint' && source.path === SHIPPED_CHECKPOINT
      ? decodeNgramDraft(readFileSync(SHIPPED_DRAFT)).draft
      : undefined;
  try {
    const loading = performance.now();
    const params = loadBenchModel(source, 'js');
    const addresses: Address[] = keys.map((k) => privateKeyToAccount(k).address);
    const started = await Promise.all(
      processes.map((p, i) =>
        p.request<{ address: Address; multiaddrs: string[] }>({
          model: source,
          privateKey: keys[i],
          hosts: addresses,
        }),
      ),
    );
    const c = params.config;
    console.log(
      `\n${label}: ${c.nLayers} layers, d=${c.dModel}, vocab ${c.vocabSize}; ${HOSTS} host processes up in ${((performance.now() - loading) / 1000).toFixed(1)} s`,
    );
    await measure(params, addresses, started);
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }

  async function measure(
    params: GptParams,
    addresses: readonly Address[],
    started: readonly { address: Address; multiaddrs: string[] }[],
  ): Promise<void> {
    const digest = paramsDigest(params);
    const kernelParams = params.clone('kernel');
    const links: Link[] = [];
    const rows: Row[] = [];
    const wanRows: WanRow[] = [];
    const showRtt = rtts.some((r) => r > 0);
    const ttftPrompt = Array.from(
      { length: ttftPromptTokens },
      (_, i) => 1 + (i % (params.config.vocabSize - 1)),
    );
    try {
      for (const rtt of rtts) links.push(await openLink(rtt, started));
      for (const replicas of replicaCounts) {
        for (const shardsPerMatrix of shardCounts) {
          const planOptions: BenchPlanOptions = { replicas, standbys: 0, shardsPerMatrix };
          await Promise.all(processes.map((p) => p.request({ serve: planOptions })));
          const plan = benchPlan(digest, params.config, addresses, planOptions);
          const reference = new LocalReference(params, { shardsPerMatrix });
          try {
            const localTtft = ttftPromptTokens > 0 ? await reference.firstToken(ttftPrompt) : null;
            for (const link of links) {
              for (const configName of configNames) {
                const config = CONFIGS[configName]!;
                const gateway = new InferenceGateway({
                  host: link.gatewayHost,
                  domain: TEST_DOMAIN,
                  plan,
                  params,
                  peers: link.peers,
                  timeoutMs: CALL_TIMEOUT_MS,
                  ...config,
                });
                try {
                  const name = `r=${replicas}, ${shardsPerMatrix} shard(s)/exchange, ${configName}${showRtt ? `, RTT ${link.rtt} ms` : ''}`;
                  const row = await lockstepRow(gateway, { shardsPerMatrix }, config, name);
                  rows.push(row);
                  wanRows.push(await wanRow(gateway, reference, localTtft, name, row.ms));
                  if (link.rtt > 0) assertProxied(link);
                } finally {
                  await gateway.close();
                }
              }
            }
          } finally {
            reference.dispose();
          }
        }
      }
    } finally {
      kernelParams.dispose();
      for (const link of links) await closeLink(link);
    }
    console.log(
      '  | distributed | tokens/s | ms/token (median) | local ms/token: plan order / GptGenerator | vs local plan order | vs GptGenerator | consensus share | CPU ms/token: gateway + hosts (local) |',
    );
    console.log('  |---|---|---|---|---|---|---|---|');
    for (const row of rows) {
      console.log(
        `  | ${row.name} | ${(1000 / row.ms).toFixed(2)} | ${row.ms.toFixed(1)} | ${row.localKernelMs.toFixed(1)} / ${row.generatorMs?.toFixed(1) ?? 'other tokens'} | ${(row.localKernelMs / row.ms).toFixed(2)} | ${row.generatorMs === undefined ? '-' : (row.generatorMs / row.ms).toFixed(2)} | ${(100 * row.consensusShare).toFixed(0)}% | ${row.gatewayCpuMs.toFixed(1)} + ${row.hostsCpuMs.toFixed(1)} (${row.localKernelCpuMs.toFixed(1)}) |`,
      );
    }
    if (ttftPromptTokens === 0 && concurrency.length === 0 && !draft) return;
    console.log(
      `\n  | distributed | tokens/s, 1 session | speculative (k = ${draftTokens}): tokens/s, acceptance | TTFT, ${ttftPromptTokens}-token prompt: ms (local, plan order) | TTFT in decode steps |${concurrency.map((n) => ` ${n} session(s): aggregate tok/s (× 1 session) |`).join('')}`,
    );
    console.log(`  |---|---|---|---|---|${concurrency.map(() => '---|').join('')}`);
    for (const w of wanRows) {
      const ttft = w.ttft ? `${w.ttft.ms.toFixed(0)} (${w.ttft.localMs.toFixed(0)})` : '–';
      const steps = w.ttft ? (w.ttft.ms / w.ms).toFixed(1) : '–';
      const one = w.aggregate.get(1) ?? Number.NaN;
      const aggregate = concurrency.map((n) => {
        const a = w.aggregate.get(n)!;
        return ` ${a.toFixed(2)} (${(a / one).toFixed(2)}×) |`;
      });
      const spec = w.speculative
        ? `${w.speculative.tokensPerSecond.toFixed(2)}, ${w.speculative.acceptance.toFixed(2)}`
        : '–';
      console.log(
        `  | ${w.name} | ${(1000 / w.ms).toFixed(2)} | ${spec} | ${ttft} | ${steps} |${aggregate.join('')}`,
      );
    }

    /**
     * The WAN measures of one gateway: the long prompt's time to first token
     * and the concurrent sessions' aggregate rate; throws unless every token
     * equals the local plan-order decoding's.
     */
    async function wanRow(
      gateway: InferenceGateway,
      reference: LocalReference,
      localTtft: { token: number; ms: number } | null,
      name: string,
      ms: number,
    ): Promise<WanRow> {
      const wan: WanRow = { name, ms, ttft: null, aggregate: new Map(), speculative: null };
      if (draft) {
        let proposed = 0;
        let accepted = 0;
        const begun = performance.now();
        const out: number[] = [];
        const session = gateway.openSession();
        const stream = session.generate(prompt, {
          ...options,
          draft,
          draftTokens,
          onRound: (r) => {
            proposed += r.proposed;
            accepted += r.accepted;
          },
        });
        for await (const e of stream) out.push(e.token);
        const wall = performance.now() - begun;
        if (out.join() !== (await reference.tokens(prompt))) {
          throw new Error(`speculative tokens ${out.join()} differ from local`);
        }
        wan.speculative = { tokensPerSecond: tokens / (wall / 1000), acceptance: accepted / proposed };
      }
      if (localTtft) {
        const ttft = await firstToken(checked(gateway.openSession(), ttftPrompt, firstTokenOptions));
        if (ttft.token !== localTtft.token) {
          throw new Error(`distributed first token ${ttft.token} differs from local ${localTtft.token}`);
        }
        wan.ttft = { ms: ttft.ms, localMs: localTtft.ms };
      }
      for (const n of concurrency) {
        const prompts = Array.from({ length: n }, (_, i) => [
          1,
          2,
          3,
          4 + (i % (params.config.vocabSize - 4)),
        ]);
        const begun = performance.now();
        const outputs = await Promise.all(
          prompts.map(async (p) => {
            const out: number[] = [];
            for await (const t of checked(gateway.openSession(), p, options)) out.push(t);
            return out;
          }),
        );
        const wall = performance.now() - begun;
        for (const [i, out] of outputs.entries()) {
          if (out.join() !== (await reference.tokens(prompts[i]!))) {
            throw new Error(`session ${i} of ${n}: distributed tokens ${out.join()} differ from local`);
          }
        }
        wan.aggregate.set(n, (n * tokens) / (wall / 1000));
      }
      return wan;
    }

    /**
     * One session of `gateway` decoding in lockstep with the two local
     * baselines; throws unless the distributed tokens equal the local
     * plan-order run's (`sharding`) and no host failed.
     */
    async function lockstepRow(
      gateway: InferenceGateway,
      sharding: Sharding,
      config: { sealEvery: SealEvery },
      name: string,
    ): Promise<Row> {
      const before = await hostStats();
      const session = gateway.openSession();
      const backend = localExchangeBackend(params, sharding, { placement: 'kernel' });
      const [localKernel, generator, distributed] = await lockstep([
        decodeTokens(params, prompt, backend, options),
        generatorTokens(kernelParams),
        tokensOf(session.generate(prompt, options)),
      ])
        .catch((err: unknown) => {
          throw new Error(`generation failed; host failures: ${JSON.stringify(session.failures)}`, {
            cause: err,
          });
        })
        .finally(() => backend.dispose());
      const expected = localKernel!.tokens.join();
      if (distributed!.tokens.join() !== expected) {
        throw new Error(`distributed tokens ${distributed!.tokens.join()} differ from local ${expected}`);
      }
      if (session.failures.length > 0) {
        throw new Error(`host failures: ${JSON.stringify(session.failures)}`);
      }
      const total = distributed!.times.reduce((a, b) => a + b, 0);
      const after = await hostStats();
      const hostSigning = config.sealEvery === 'response' ? after.signMs - before.signMs : 0;
      const measured = distributed!.times.length;
      const receiptStart = performance.now();
      const receipt = await session.receipt();
      console.log(
        `  ${name}: ${session.stats.calls} host calls, receipt of ${receipt.votes} votes in ${(performance.now() - receiptStart).toFixed(0)} ms`,
      );
      return {
        name,
        ms: median(distributed!.times),
        localKernelMs: median(localKernel!.times),
        generatorMs: generator!.tokens.join() === expected ? median(generator!.times) : undefined,
        consensusShare: Math.min(1, (session.stats.consensusMs + hostSigning) / total),
        gatewayCpuMs: distributed!.cpuMs / measured,
        // Host work covers every decoding step: the prompt's and one per later token.
        hostsCpuMs: (after.cpuMs - before.cpuMs) / (prompt.length + measured),
        localKernelCpuMs: localKernel!.cpuMs / measured,
      };
    }
  }

  /** The hosts' signing and total CPU time so far, summed over the processes. */
  async function hostStats(): Promise<{ signMs: number; cpuMs: number }> {
    const stats = await Promise.all(processes.map((p) => p.request<HostProcessStats>({ stats: true })));
    return {
      signMs: stats.reduce((a, s) => a + (s.server?.signMs ?? 0), 0),
      cpuMs: stats.reduce((a, s) => a + s.cpuMs, 0),
    };
  }
}

console.log(
  `distributed inference, ${tokens} tokens greedy, ${HOSTS} host processes, shards per exchange ${shardCounts.join('/')}, gateway configs ${configNames.join('/')}, RTT ${rtts.join('/')} ms${concurrency.length > 0 ? `, concurrent sessions ${concurrency.join('/')}` : ''}${ttftPromptTokens > 0 ? `, TTFT of a ${ttftPromptTokens}-token prompt` : ''}`,
);
if (which === 'small' || which === 'both') {
  await run(`network model (${SHIPPED_CHECKPOINT_NAME})`, { kind: 'checkpoint', path: SHIPPED_CHECKPOINT });
}
if (which === 'gpt2' || which === 'both') {
  await run('GPT-2-small-sized (124M, random weights)', { kind: 'random', config: GPT2_SMALL, seed: 1 });
}
