import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { openStore, type Store } from '../store/openStore.ts';
import { createApi } from './api/createApi.ts';
import { UnknownTaskError } from './api/errors.ts';
import { UNMATCHED_ROUTE } from './api/httpMetrics.ts';
import type { ApiDeps } from './api/types.ts';
import { connectedPeers } from './connectedPeers.ts';
import {
  type CompletionTestBed,
  startCompletionTestBed,
  TEST_API_TOKEN,
  TEST_MODEL,
} from './inference/completionTesting.ts';
import { parseSseData, SSE_DONE } from './inference/sse.ts';
import { createNodeMetrics, type NodeMetrics } from './metrics.ts';
import { Secret } from './secret.ts';
import { ALL_OK_CHECKS } from './testing/healthChecks.ts';
import { histogramOf, type PromFamily, parsePrometheusText, sampleOf } from './testing/prometheusText.ts';

// /metrics of an API whose completions run on a real gateway and hosts over loopback libp2p, settled on anvil.
let bed: CompletionTestBed;
let store: Store;
let metrics: NodeMetrics;
let app: FastifyInstance;
let peerCount: () => number;

before(async () => {
  bed = await startCompletionTestBed();
  store = openStore(bed.dataDir);
  let count = () => 0;
  metrics = createNodeMetrics({ connectedPeers: () => count() });
  const again = await bed.serveAgain({ gateway: { metrics: metrics.inference } });
  const peers = () => connectedPeers(again.net.gatewayHost.getConnections(), new Set());
  count = () => peers().length;
  peerCount = count;
  const deps: ApiDeps = {
    version: '0.0.0-test',
    apiToken: new Secret(TEST_API_TOKEN),
    metrics,
    health: async () => ({
      peerId: again.net.gatewayHost.peerId.toString(),
      address: bed.gateway.account.address,
      chainId: bed.gateway.chain.id,
      chainHead: 1n,
      checks: ALL_OK_CHECKS,
    }),
    listTasks: async () => ({ tasks: [], next: null }),
    getTask: async (id) => {
      throw new UnknownTaskError(`Task ${id} does not exist.`);
    },
    createTask: async () => {
      throw new Error('not used by these tests');
    },
    peers: async () => peers().map((p) => ({ ...p, node: true })),
    putBlob: async () => {
      throw new Error('not used by these tests');
    },
    putModel: async () => {
      throw new Error('not used by these tests');
    },
  };
  app = createApi({ ...deps, completions: bed.deps(store, { models: again.models, metrics }) });
});
after(async () => {
  await app?.close();
  store?.close();
  await bed?.stop();
});

async function scrape(): Promise<Map<string, PromFamily>> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(res.body);
}

const selfPaid = { authorization: `Bearer ${TEST_API_TOKEN}` };

describe('GET /metrics', () => {
  it('after answered completions: valid exposition, inference histograms, tokens as generated, HTTP by route pattern', async () => {
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/completions',
      headers: selfPaid,
      payload: { model: TEST_MODEL, prompt: 'Hello', max_tokens: 5, temperature: 0 },
    });
    assert.equal(answer.statusCode, 200, answer.body);
    const generated = answer.json().usage.completion_tokens as number;
    assert.equal(generated, 5);
    const streamed = await app.inject({
      method: 'POST',
      url: '/v1/completions',
      headers: selfPaid,
      payload: { model: TEST_MODEL, prompt: 'Hi', max_tokens: 3, temperature: 0, stream: true },
    });
    assert.equal(streamed.statusCode, 200);
    assert.equal(parseSseData(streamed.body).at(-1), SSE_DONE);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/tasks/123456' })).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: '/no/such/route' })).statusCode, 404);

    const families = await scrape();
    // The process's default metrics.
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ])
      assert.ok(families.has(name), name);
    // Inference: two sessions, 5 + 3 tokens, a first-token wait each, a wait for every later token.
    assert.equal(sampleOf(families, 'concord_inference_sessions_started_total'), 2);
    assert.equal(sampleOf(families, 'concord_inference_sessions_completed_total'), 2);
    assert.equal(sampleOf(families, 'concord_inference_sessions_failed_total'), 0);
    assert.equal(sampleOf(families, 'concord_inference_failovers_total'), 0);
    assert.equal(sampleOf(families, 'concord_inference_tokens_total'), generated + 3);
    const first = histogramOf(families, 'concord_inference_time_to_first_token_seconds');
    assert.equal(first?.count, 2);
    assert.ok(first.sum > 0);
    assert.equal(histogramOf(families, 'concord_inference_token_seconds')?.count, generated - 1 + 2);
    // HTTP: by route pattern and status, streamed answers included; never a raw URL.
    const http = 'concord_http_request_duration_seconds';
    const completions = { method: 'POST', route: '/v1/completions', status: '200' };
    assert.equal(histogramOf(families, http, completions)?.count, 2);
    assert.equal(histogramOf(families, http, { route: '/v1/tasks/:id', status: '404' })?.count, 1);
    assert.equal(histogramOf(families, http, { route: UNMATCHED_ROUTE, status: '404' })?.count, 1);
    const routes = new Set(families.get(http)!.samples.map((s) => s.labels.route));
    assert.ok(![...routes].some((r) => r?.includes('123456') || r?.includes('/no/such')), [...routes].join());
    // Peers: the gateway host's libp2p connections, one per peer.
    assert.ok(peerCount() >= 1);
    assert.equal(sampleOf(families, 'concord_peers_connected'), peerCount());
    // The series the node had before.
    assert.equal(sampleOf(families, 'concord_commits_total'), 0);
    assert.equal(sampleOf(families, 'concord_errors_total', { code: 'NOT_FOUND' }), 1);
  });
});

describe('a session whose hosts are gone', () => {
  it('counts as started and failed', async () => {
    const { net, models } = await bed.serveAgain({ gateway: { metrics: metrics.inference } });
    await Promise.all(net.hosts.map((h) => h.libp2p.stop()));
    const down = bed.app(bed.deps(store, { models }));
    try {
      const res = await down.inject({
        method: 'POST',
        url: '/v1/completions',
        headers: selfPaid,
        payload: { prompt: 'a', max_tokens: 4 },
      });
      assert.equal(res.statusCode, 503, res.body);
    } finally {
      await down.close();
    }
    const families = await scrape();
    assert.equal(sampleOf(families, 'concord_inference_sessions_started_total'), 3);
    assert.equal(sampleOf(families, 'concord_inference_sessions_failed_total'), 1);
    assert.equal(sampleOf(families, 'concord_inference_sessions_completed_total'), 2);
  });
});

describe('parsePrometheusText', () => {
  const valid = [
    '# HELP x_seconds A histogram.',
    '# TYPE x_seconds histogram',
    'x_seconds_bucket{le="0.1",a="q\\"uote"} 1',
    'x_seconds_bucket{le="+Inf",a="q\\"uote"} 2',
    'x_seconds_sum{a="q\\"uote"} 0.3',
    'x_seconds_count{a="q\\"uote"} 2',
    '# HELP y_total A counter.',
    '# TYPE y_total counter',
    'y_total 3',
    '',
  ].join('\n');

  it('reads a valid exposition', () => {
    const families = parsePrometheusText(valid);
    assert.deepEqual(histogramOf(families, 'x_seconds', { a: 'q"uote' }), { count: 2, sum: 0.3, series: 1 });
    assert.equal(sampleOf(families, 'y_total'), 3);
  });

  it('refuses what is not the format', () => {
    const inf = 'x_seconds_bucket{le="+Inf",a="q\\"uote"} 2';
    const broken: [RegExp, string][] = [
      [/le="\+Inf" is 2, _count 3/, valid.replace('_count{a="q\\"uote"} 2', '_count{a="q\\"uote"} 3')],
      [/bucket counts decrease/, valid.replace(inf, inf.replace('} 2', '} 0'))],
      [/does not end with a newline/, valid.slice(0, -1)],
      [/sample outside a declared family/, valid.replace('# HELP y_total A counter.\n', '')],
      [/bad label/, valid.replace('y_total 3', 'y_total{a=1} 3')],
      [/bad number/, valid.replace('y_total 3', 'y_total 3x')],
      [/duplicate series/, valid.replace('y_total 3', 'y_total 3\ny_total 4')],
      [/not of family/, valid.replace('y_total 3', 'z_total 3')],
    ];
    for (const [why, text] of broken) assert.throws(() => parsePrometheusText(text), why);
  });
});
