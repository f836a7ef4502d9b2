/**
 * Distributed inference against local inference of the same model, in one
 * process: 4 inference hosts and a gateway on loopback libp2p (TCP, Noise,
 * Yamux) — so hosts share this process's 2 cores instead of running on their
 * own machines, which makes the distributed figures pessimistic. For each
 * model: local KV-cache decoding (the `linear` kernel in process), then
 * distributed with r = 1 and r = 3 (exact majority), each matrix cut into
 * `--shards` row shards (default 1: in one process the hosts cannot compute
 * in parallel anyway, so fewer, larger calls are fastest; rendezvous hashing
 * still spreads the matrices over the 4 hosts). Prints tokens/s,
 * median ms per token, the ratio to local, and the consensus layer's share of
 * the token time (majority decisions, signature checks, and the per-token
 * seal round trips in which hosts sign; with `--seal response`, the hosts'
 * signing CPU time instead). By default hosts sign once per token
 * (`--seal response`: every response) and the gateway checks every signature
 * as it arrives (`--verify receipt`: when the receipt is built).
 * Run: `node bin/run.mjs bench/inference.ts [tokens] [small|gpt2|both] [--seal response] [--verify receipt] [--shards N]`.
 */
import { decode, localBackend } from '../src/inference/decode.ts';
import type { SealEvery, SignatureCheck } from '../src/inference/session.ts';
import { startTestInferenceNetwork } from '../src/inference/testing.ts';
import { CHAR_SMALL, GPT2_SMALL, type GptConfig, GptParams } from '../src/model/index.ts';

const tokens = Number(process.argv[2] ?? 8);
const which = process.argv[3] ?? 'both';
const signatureCheck: SignatureCheck = process.argv.includes('receipt') ? 'at-receipt' : 'each-response';
const sealEvery: SealEvery = process.argv.includes('response') ? 'response' : 'token';
const shardsArg = process.argv.indexOf('--shards');
const shardsPerMatrix = shardsArg > 0 ? Number(process.argv[shardsArg + 1]) : 1;
const prompt = [1, 2, 3, 4];
const options = { temperature: 0, maxNewTokens: tokens, seed: 1 };

type Row = { name: string; tokPerS: number; msPerToken: number; consensusShare: number };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Per-token latencies after the prompt (the first token includes the prompt's prefill). */
async function timeTokens(tokenStream: AsyncIterable<unknown>): Promise<number[]> {
  const times: number[] = [];
  let last = performance.now();
  for await (const _ of tokenStream) {
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
  return times.slice(1);
}

async function run(label: string, config: GptConfig): Promise<void> {
  console.log(`\n${label}: ${config.nLayers} layers, d=${config.dModel}, vocab ${config.vocabSize}`);
  const params = GptParams.init(config, 1);
  const rows: Row[] = [];
  const local = await timeTokens(decode(params, prompt, localBackend, options));
  const localMs = median(local);
  rows.push({ name: 'local', tokPerS: 1000 / localMs, msPerToken: localMs, consensusShare: 0 });
  for (const r of [1, 3]) {
    const net = await startTestInferenceNetwork({
      params,
      hosts: 4,
      replicas: r,
      standbys: 0,
      sharding: { shardsPerMatrix },
      gateway: { signatureCheck, sealEvery },
    });
    try {
      const session = net.gateway.openSession();
      const hostBefore = net.hosts.reduce((a, h) => a + h.server.stats.signMs, 0);
      const times = await timeTokens(session.generate(prompt, options));
      const ms = median(times);
      const total = times.reduce((a, b) => a + b, 0);
      const signMs = net.hosts.reduce((a, h) => a + h.server.stats.signMs, 0) - hostBefore;
      // Sealing per token: the seal round trips (host signing included) are in consensusMs already.
      const share = (session.stats.consensusMs + (sealEvery === 'response' ? signMs : 0)) / total;
      rows.push({
        name: `distributed r=${r}`,
        tokPerS: 1000 / ms,
        msPerToken: ms,
        consensusShare: Math.min(1, share),
      });
      const receiptStart = performance.now();
      const receipt = await session.receipt();
      console.log(
        `  r=${r}: ${session.stats.calls} host calls, receipt of ${receipt.votes} votes in ${(performance.now() - receiptStart).toFixed(0)} ms`,
      );
    } finally {
      await net.stop();
    }
  }
  console.log('  | mode | tokens/s | ms/token (median) | vs local | consensus share |');
  console.log('  |---|---|---|---|---|');
  for (const row of rows) {
    console.log(
      `  | ${row.name} | ${row.tokPerS.toFixed(2)} | ${row.msPerToken.toFixed(1)} | ${(row.tokPerS / rows[0]!.tokPerS).toFixed(2)} | ${(100 * row.consensusShare).toFixed(0)}% |`,
    );
  }
}

console.log(
  `distributed inference, ${tokens} tokens greedy, ${shardsPerMatrix} shard(s) per matrix, 4 hosts, hosts sign every ${sealEvery}, signatures checked ${signatureCheck}`,
);
if (which === 'small' || which === 'both') await run('small (CHAR_SMALL)', CHAR_SMALL);
if (which === 'gpt2' || which === 'both') await run('GPT-2-small-sized (124M, random weights)', GPT2_SMALL);
