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
 * Run: `node bin/run.mjs bench/inference.ts [tokens] [small|gpt2|both] [--replicas 1,3] [--shards 1,2,4] [--config default,strict]`
 * (node flags such as `--cpu-prof` are passed on to the host processes).
 */

import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { multiaddr } from '@multiformats/multiaddr';
import type { Address, Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { decodeTokens } from '../src/inference/decoder.ts';
import { InferenceGateway } from '../src/inference/gateway.ts';
import { localExchangeBackend } from '../src/inference/localExchangeBackend.ts';
import type { SealEvery, SignatureCheck } from '../src/inference/session.ts';
import { TEST_DOMAIN } from '../src/inference/testing.ts';
import { GPT2_SMALL, GptGenerator, type GptParams, Rng, sampleToken } from '../src/model/index.ts';
import { SHIPPED_CHECKPOINT, SHIPPED_CHECKPOINT_NAME } from '../src/model/shipped.ts';
import { startTestHost } from '../src/p2p/testing.ts';
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
const HOSTS = 4;
/** Generous per-call timeout: this bench measures speed, not failover, on machines that may be loaded. */
const CALL_TIMEOUT_MS = 120_000;
const prompt = [1, 2, 3, 4];
const options = { temperature: 0, maxNewTokens: tokens, seed: 1 };
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
    const gatewayHost = await startTestHost();
    const peers = new Map(started.map((s) => [s.address, s.multiaddrs.map((m) => multiaddr(m))]));
    const rows: Row[] = [];
    try {
      for (const replicas of replicaCounts) {
        for (const shardsPerMatrix of shardCounts) {
          const planOptions: BenchPlanOptions = { replicas, standbys: 0, shardsPerMatrix };
          await Promise.all(processes.map((p) => p.request({ serve: planOptions })));
          const plan = benchPlan(digest, params.config, addresses, planOptions);
          const sharding = { shardsPerMatrix };
          for (const configName of configNames) {
            const config = CONFIGS[configName]!;
            const gateway = new InferenceGateway({
              host: gatewayHost,
              domain: TEST_DOMAIN,
              plan,
              params,
              peers,
              timeoutMs: CALL_TIMEOUT_MS,
              ...config,
            });
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
              throw new Error(
                `distributed tokens ${distributed!.tokens.join()} differ from local ${expected}`,
              );
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
            await gateway.close();
            const name = `r=${replicas}, ${shardsPerMatrix} shard(s)/exchange, ${configName}`;
            console.log(
              `  ${name}: ${session.stats.calls} host calls, receipt of ${receipt.votes} votes in ${(performance.now() - receiptStart).toFixed(0)} ms`,
            );
            rows.push({
              name,
              ms: median(distributed!.times),
              localKernelMs: median(localKernel!.times),
              generatorMs: generator!.tokens.join() === expected ? median(generator!.times) : undefined,
              consensusShare: Math.min(1, (session.stats.consensusMs + hostSigning) / total),
              gatewayCpuMs: distributed!.cpuMs / measured,
              // Host work covers every decoding step: the prompt's and one per later token.
              hostsCpuMs: (after.cpuMs - before.cpuMs) / (prompt.length + measured),
              localKernelCpuMs: localKernel!.cpuMs / measured,
            });
          }
        }
      }
    } finally {
      kernelParams.dispose();
      await gatewayHost.stop();
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
  `distributed inference, ${tokens} tokens greedy, ${HOSTS} host processes, shards per matrix ${shardCounts.join('/')}, gateway configs ${configNames.join('/')}`,
);
if (which === 'small' || which === 'both') {
  await run(`network model (${SHIPPED_CHECKPOINT_NAME})`, { kind: 'checkpoint', path: SHIPPED_CHECKPOINT });
}
if (which === 'gpt2' || which === 'both') {
  await run('GPT-2-small-sized (124M, random weights)', { kind: 'random', config: GPT2_SMALL, seed: 1 });
}
