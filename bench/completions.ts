/**
 * Completion API benchmark: one paid, streamed completion through
 * `POST /v1/completions` (a real listening socket and `fetch`, payment checks,
 * SSE chunks, settlement on anvil) beside the baseline of the same work called
 * directly in the same process on the same inference network: a self-signed
 * request, `session.generate`, `session.settlement` and `settleAndSlash`. The
 * ratio is what the HTTP surface adds; both include the chain's transactions.
 * Run: node bin/run.mjs bench/completions.ts [tokens=32] [rounds=5]
 */
import { settleAndSlash } from '../src/inference/settle.ts';
import { listenApi } from '../src/node/api/createApi.ts';
import { startCompletionTestBed, TEST_API_TOKEN } from '../src/node/inference/completionTesting.ts';
import { admitSelfPaidRequest } from '../src/node/inference/querier.ts';
import { readSseData, SSE_DONE } from '../src/node/inference/sse.ts';
import { openStore } from '../src/store/openStore.ts';

const [tokens = 32, rounds = 5] = process.argv.slice(2).map(Number);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const bed = await startCompletionTestBed();
const store = openStore(bed.dataDir);
const deps = bed.deps(store);
const app = bed.app(deps);
const url = await listenApi(app);
const prompt = bed.served.tokenizer.encode('The state');

/** The baseline: the same paid session without HTTP. */
async function direct(): Promise<number> {
  const started = performance.now();
  const paid = await admitSelfPaidRequest(
    {
      ctx: bed.gateway,
      settings: store.settings,
      creditsPerToken: deps.creditsPerToken,
      txLock: deps.txLock,
      reservations: deps.reservations,
    },
    bed.served,
    tokens,
  );
  const session = bed.served.gateway.openSession({
    auth: { request: paid.request, signature: paid.signature },
  });
  for await (const _ of session.generate(prompt, { maxNewTokens: tokens, seed: 1, temperature: 0 }));
  const settlement = await session.settlement(paid.request);
  await deps.txLock.run(() => settleAndSlash(bed.gateway, settlement, paid.signature));
  return performance.now() - started;
}

/** The same through the API, streamed. */
async function overHttp(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_TOKEN}` },
    body: JSON.stringify({ prompt: 'The state', max_tokens: tokens, temperature: 0, seed: 1, stream: true }),
  });
  let final: { concord?: { settlement?: unknown } } | undefined;
  for await (const data of readSseData(res.body!)) if (data !== SSE_DONE) final = JSON.parse(data);
  if (!final?.concord?.settlement) throw new Error(`no settlement: ${JSON.stringify(final)}`);
  return performance.now() - started;
}

const base: number[] = [];
const api: number[] = [];
await direct(); // warm-up: streams to the hosts, JIT
await overHttp();
for (let i = 0; i < rounds; i++) {
  base.push(await direct());
  api.push(await overHttp());
}
const b = median(base);
const h = median(api);
console.log(`completion of ${tokens} tokens (tiny char model, 2 hosts, r=1), median of ${rounds}:`);
console.log(
  `  direct session + settlement: ${b.toFixed(1)} ms (${((tokens * 1000) / b).toFixed(1)} tokens/s)`,
);
console.log(
  `  POST /v1/completions stream: ${h.toFixed(1)} ms (${((tokens * 1000) / h).toFixed(1)} tokens/s)`,
);
console.log(`  ratio API / direct: ${(h / b).toFixed(3)}`);
await app.close();
store.close();
await bed.stop();
