/**
 * Devnet load benchmark: four node daemons in this process (libp2p on
 * loopback, anvil), configured as `concord devnet` starts its nodes (3
 * replicas per shard, the node defaults otherwise: 4 shards per matrix, 1
 * standby, admission 16 running / 64 queued / 30 s), serving the shipped model.
 * A querier (its own dev account, paying with signed requests as
 * `concord ask --key` does) streams chat completions from node 0:
 * 1. one session alone, `singles` times (median), the baseline;
 * 2. `concurrent` sessions at once: aggregate tokens/s and its ratio to one
 *    session alone (issue 17's target: >= 8x for 16);
 * 3. `burst` requests at once: the count of each HTTP status, and of 200s
 *    whose stream ends with an error (target: every request a 200 with its
 *    tokens, or a 429/503 with Retry-After).
 * Node logs go to a directory printed at the end.
 * Run: node bin/run.mjs bench/devnetLoad.ts [tokens=32] [concurrent=16] [burst=64] [singles=3]
 */

import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createModel } from '../src/chain/actions/createModel.ts';
import type { ConcordContext } from '../src/chain/context.ts';
import { startDevChain } from '../src/chain/devChain.ts';
import { requestToJson } from '../src/chain/requestJson.ts';
import { type ModelListEntry, NodeClient } from '../src/client/nodeClient.ts';
import { ensureDeposit, signedRequest, waitForModelReady } from '../src/devnet/askDemo.ts';
import { SHIPPED_MODEL_NAME } from '../src/devnet/genesis.ts';
import { DEFAULT_DEVNET_REPLICAS, DEVNET_CREDITS_PER_TOKEN } from '../src/devnet/startDevnet.ts';
import { SHIPPED_CHECKPOINT, SHIPPED_CHECKPOINT_NAME } from '../src/model/shipped.ts';
import type { RunningNode } from '../src/node/daemon.ts';
import { DEFAULT_ADMISSION_LIMITS } from '../src/node/inference/completionAdmission.ts';
import { readSseData, SSE_DONE } from '../src/node/inference/sse.ts';
import { startLocalNodes } from '../src/node/localNodes.ts';

const [tokens = 32, concurrent = 16, burst = 64, singles = 3] = process.argv.slice(2).map(Number);
const NODES = 4;
/** Worker round interval of a devnet's nodes (`launchNode`'s default). */
const DEVNET_POLL_MS = 100;
/** Longest a request may take, end to end; a hung one is reported as `timeout`. */
const REQUEST_TIMEOUT_MS = 180_000;
const MESSAGES = [{ role: 'user', content: 'The state of the Union is' }];

/** What one request came to, times in ms since the benchmark's clock origin. */
type Outcome = {
  status: number | 'timeout' | 'network';
  retryAfter: string | null;
  tokens: number;
  /** The error code of an error status, or of a stream's error event. */
  error?: string;
  /** A 200 whose stream carried an error event, or ended without its final chunk. */
  streamError: boolean;
  start: number;
  firstToken?: number;
  lastToken?: number;
  end: number;
};

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const loadAtStart = uptime();

const dir = mkdtempSync(join(tmpdir(), 'concord-bench-devnet-'));
const logDir = mkdtempSync(join(tmpdir(), 'concord-bench-devnet-logs-'));
const logLine = (i: number) => (line: string) =>
  appendFileSync(join(logDir, `node${i}.log`), `${new Date().toISOString()} ${line}\n`);

const dev = await startDevChain({ actors: NODES + 1 });
const querier = dev.actors[NODES]!;
const nodes: RunningNode[] = [];
try {
  nodes.push(
    ...(await startLocalNodes({
      chain: dev,
      dir,
      count: NODES,
      config: (i) => ({
        replicas: Math.min(DEFAULT_DEVNET_REPLICAS, NODES),
        creditsPerToken: DEVNET_CREDITS_PER_TOKEN,
        pollIntervalMs: DEVNET_POLL_MS,
        log: logLine(i),
      }),
    })),
  );
  const genesisDigest = nodes[0]!.store.blobs.putModel(readFileSync(SHIPPED_CHECKPOINT));
  const upStart = performance.now();
  await createModel(dev.deployer, { name: SHIPPED_MODEL_NAME, genesisDigest });
  const versionIndex = 0n; // the genesis version: the shipped checkpoint itself
  const gateway = new NodeClient(nodes[0]!.apiUrl);
  const [model] = await Promise.all([
    waitForModelReady(gateway, SHIPPED_MODEL_NAME, versionIndex),
    ...nodes
      .slice(1)
      .map((n) => waitForModelReady(new NodeClient(n.apiUrl), SHIPPED_MODEL_NAME, versionIndex)),
  ]);
  const upMs = performance.now() - upStart;
  const requests = 1 + singles + concurrent + burst;
  await ensureDeposit(
    querier,
    model!.concord.gateway,
    BigInt(requests * tokens * 2) * DEVNET_CREDITS_PER_TOKEN,
    {
      buy: true,
    },
  );

  const ask = (seed: number) => chat(querier, gateway, model!, seed);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  /** Event-loop delay of this process (every node's and the client's) since the last call: median and max, ms. */
  const lagSince = () => {
    const text = `event-loop delay median ${(lag.percentile(50) / 1e6).toFixed(0)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, max ${(lag.max / 1e6).toFixed(0)} ms`;
    lag.reset();
    return text;
  };
  lag.enable();
  await ask(0); // warm-up: streams between the nodes, code paths; not counted
  const alone: Outcome[] = [];
  const cpuAlone = cpuSince();
  for (let i = 0; i < singles; i++) alone.push(await ask(1 + i));
  const cpuPerTokenAlone = cpuAlone() / (singles * tokens);
  const lagAlone = lagSince();
  const cpuTogether = cpuSince();
  const together = await Promise.all(Array.from({ length: concurrent }, (_, i) => ask(100 + i)));
  const cpuPerTokenTogether = cpuTogether() / (concurrent * tokens);
  const lagTogether = lagSince();
  const loadAfterConcurrent = uptime();
  const flood = await Promise.all(Array.from({ length: burst }, (_, i) => ask(1000 + i)));
  const lagFlood = lagSince();

  const aloneRate = median(alone.map((o) => rate([o])));
  const togetherRate = rate(together);
  const limits = DEFAULT_ADMISSION_LIMITS;
  console.log(
    `devnet load: ${NODES} daemons in one process, ${SHIPPED_CHECKPOINT_NAME}, replicas ${model!.concord.replicas} on ${model!.concord.hosts.length} hosts, gateway node 0 (admission ${limits.maxRunning} running / ${limits.maxQueued} queued / ${limits.maxWaitMs / 1000} s); ready ${(upMs / 1000).toFixed(1)} s after createModel`,
  );
  console.log(`chat completions, streamed, ${tokens} tokens each, signed requests of one querier`);
  console.log(`load at start:       ${loadAtStart}`);
  console.log('');
  console.log(
    '| run | requests | all 200 with tokens | tokens | wall to last token | tokens/s | first token (median) | end incl. settlement |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(row(`1 session alone (median of ${singles})`, alone, true));
  console.log(row(`${concurrent} concurrent`, together, false));
  console.log('');
  console.log(`alone: ${lagAlone}; ${concurrent} concurrent: ${lagTogether}`);
  console.log(
    `ratio ${concurrent} concurrent vs 1 alone: ${(togetherRate / aloneRate).toFixed(2)}x aggregate tokens/s (target >= 8x)`,
  );
  // This process is every node and the client: its CPU time per token, not the waiting between
  // exchanges, bounds what batching can gain on this machine.
  const wallPerTokenAlone = 1000 / aloneRate;
  const cores = availableParallelism();
  console.log(
    `CPU time of this process per token (all threads: nodes, client, settlement): alone ${cpuPerTokenAlone.toFixed(1)} ms, ${concurrent} concurrent ${cpuPerTokenTogether.toFixed(1)} ms; one session alone takes ${wallPerTokenAlone.toFixed(1)} ms of wall per token, so ${cores} cores bound the ratio at ${((wallPerTokenAlone * cores) / cpuPerTokenTogether).toFixed(2)}x`,
  );
  console.log(`load after ${concurrent}:    ${loadAfterConcurrent}`);
  console.log('');
  console.log(`${burst} concurrent requests (${lagFlood}):`);
  console.log('| outcome | count |');
  console.log('|---|---|');
  for (const [outcome, count] of tally(flood)) console.log(`| ${outcome} | ${count} |`);
  const bad = flood.filter((o) => !acceptable(o));
  console.log(
    `${burst - bad.length}/${burst} acceptable (200 with all tokens, or 429/503 with Retry-After); wall ${((Math.max(...flood.map((o) => o.end)) - Math.min(...flood.map((o) => o.start))) / 1000).toFixed(1)} s`,
  );
  console.log(`load at end:         ${uptime()}`);
  console.log(`node logs: ${logDir}`);
} finally {
  for (const n of nodes) await n.stop();
  await dev.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** One streamed chat completion paid by a fresh signed request of `who` (as `concord ask --key`). */
/** Returns a function giving this process's CPU time (user + system, ms) since this call. */
function cpuSince(): () => number {
  const start = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };
}

async function chat(
  who: ConcordContext,
  node: NodeClient,
  model: ModelListEntry,
  seed: number,
): Promise<Outcome> {
  const { request, signature } = await signedRequest(who, model, tokens);
  const start = performance.now();
  const outcome: Outcome = {
    status: 'network',
    retryAfter: null,
    tokens: 0,
    streamError: false,
    start,
    end: start,
  };
  try {
    const res = await fetch(`${node.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: model.id,
        messages: MESSAGES,
        max_tokens: tokens,
        temperature: 0.8,
        top_k: 40,
        seed,
        stream: true,
        concord: { request: requestToJson(request), signature },
      }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    outcome.status = res.status;
    outcome.retryAfter = res.headers.get('retry-after');
    if (res.status !== 200) {
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
      outcome.error = body.error?.code ?? 'no error body';
    } else {
      let finished = false;
      for await (const data of readSseData(res.body!)) {
        if (data === SSE_DONE) break;
        const event = JSON.parse(data) as {
          error?: { code?: string };
          choices?: { finish_reason: string | null }[];
          concord?: { token?: number };
        };
        if (event.error !== undefined) {
          outcome.streamError = true;
          outcome.error = event.error.code ?? 'error event';
        }
        if (event.concord?.token !== undefined) {
          outcome.tokens++;
          outcome.lastToken = performance.now();
          outcome.firstToken ??= outcome.lastToken;
        }
        if (event.choices?.[0]?.finish_reason) finished = true;
      }
      if (!finished && !outcome.streamError) {
        outcome.streamError = true;
        outcome.error = 'no final chunk';
      }
    }
  } catch (err) {
    if (err instanceof Error && err.name === 'TimeoutError') outcome.status = 'timeout';
    outcome.error ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  outcome.end = performance.now();
  return outcome;
}

/** Aggregate tokens/s of requests run together: their tokens over the time from the first start to the last token. */
function rate(outcomes: readonly Outcome[]): number {
  const total = outcomes.reduce((s, o) => s + o.tokens, 0);
  const last = Math.max(...outcomes.map((o) => o.lastToken ?? o.end));
  return (total * 1000) / (last - Math.min(...outcomes.map((o) => o.start)));
}

/**
 * A table row for requests run together, or (`alone`) one after the other:
 * then the times and rate are the median of the single requests'.
 */
function row(name: string, outcomes: readonly Outcome[], alone: boolean): string {
  const ok = outcomes.filter((o) => o.status === 200 && !o.streamError && o.tokens === tokens).length;
  const total = outcomes.reduce((s, o) => s + o.tokens, 0);
  const runs = alone ? outcomes.map((o) => [o]) : [outcomes];
  const startOf = (run: readonly Outcome[]) => Math.min(...run.map((o) => o.start));
  const wall = median(runs.map((run) => Math.max(...run.map((o) => o.lastToken ?? o.end)) - startOf(run)));
  const end = median(runs.map((run) => Math.max(...run.map((o) => o.end)) - startOf(run)));
  const first = median(outcomes.map((o) => (o.firstToken ?? o.end) - o.start));
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return `| ${name} | ${outcomes.length} | ${ok} | ${total} | ${s(wall)} | ${median(runs.map(rate)).toFixed(2)} | ${s(first)} | ${s(end)} |`;
}

/** What a user is owed: a 200 with every token and no error, or a refusal 429/503 with Retry-After. */
function acceptable(o: Outcome): boolean {
  if (o.status === 200) return !o.streamError && o.tokens === tokens;
  return (o.status === 429 || o.status === 503) && o.retryAfter !== null;
}

/** Count of each outcome: status, error code, Retry-After presence, short streams. */
function tally(outcomes: readonly Outcome[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    let key = String(o.status);
    if (o.status === 200) {
      key += o.streamError ? ` with error ${o.error} after ${o.tokens} tokens` : ' with tokens';
      if (!o.streamError && o.tokens !== tokens) key += ` (only ${o.tokens})`;
    } else {
      key += ` ${o.error ?? ''}${o.retryAfter === null ? ', no Retry-After' : `, Retry-After ${o.retryAfter}`}`;
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}
