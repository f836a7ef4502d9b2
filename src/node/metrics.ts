import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { InferenceMetrics } from '../inference/metrics.ts';

/** Values read at scrape time from the components that keep their own counters. */
export type MetricSources = {
  /** Task count per journal state. */
  taskStates?: () => Record<string, number>;
  /** Blob bytes the blob server has sent. */
  blobBytesServed?: () => number;
  /** Gossip messages received: delivered (`accepted`) and rejected by the validator (`dropped`). */
  gossip?: () => { accepted: number; dropped: number };
  /** Peers the node's libp2p host is connected to (distinct peer ids, the node's own gateway left out). */
  connectedPeers?: () => number;
};

/** Label values of one HTTP request: method, route pattern (never the raw URL) and status code. */
export type HttpLabels = 'method' | 'route' | 'status';

/**
 * A node's Prometheus metrics, in their own registry (several nodes can run
 * in one process in tests), with the process's default metrics. The worker
 * counts commits, reveals and errors directly, the API its requests, the
 * gateways their sessions through `inference`; the rest is read from its
 * sources at scrape time. docs/node.md lists every series.
 */
export type NodeMetrics = {
  registry: Registry;
  /** Commitments this node sent. */
  commits: Counter;
  /** Reveals this node sent. */
  reveals: Counter;
  /** Errors by stable `code` (the BaseError code, or framework codes). */
  errors: Counter<'code'>;
  /** Duration of each HTTP request answered, by method, route pattern and status. */
  http: Histogram<HttpLabels>;
  /** What the node's inference gateways report. */
  inference: InferenceMetrics;
};

/** Buckets of HTTP request durations, in seconds (streamed answers last tens of seconds). */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Buckets of the time to the first token, in seconds. */
const FIRST_TOKEN_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Buckets of the wait for each later token, in seconds. */
const TOKEN_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Creates the node's metrics registry. */
export function createNodeMetrics(sources: MetricSources = {}): NodeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  new Gauge({
    name: 'concord_tasks',
    help: 'Tasks in the node journal by state.',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      for (const [state, count] of Object.entries(sources.taskStates?.() ?? {})) this.set({ state }, count);
    },
  });
  new Counter({
    name: 'concord_blob_bytes_served_total',
    help: 'Blob bytes served to peers.',
    registers,
    collect() {
      this.reset();
      this.inc(sources.blobBytesServed?.() ?? 0);
    },
  });
  new Counter({
    name: 'concord_gossip_messages_total',
    help: 'Gossip messages received, by result.',
    labelNames: ['result'],
    registers,
    collect() {
      this.reset();
      const g = sources.gossip?.() ?? { accepted: 0, dropped: 0 };
      this.inc({ result: 'accepted' }, g.accepted);
      this.inc({ result: 'dropped' }, g.dropped);
    },
  });
  new Gauge({
    name: 'concord_peers_connected',
    help: 'Peers connected to the node (distinct peer ids).',
    registers,
    collect() {
      this.set(sources.connectedPeers?.() ?? 0);
    },
  });
  return {
    registry,
    commits: new Counter({ name: 'concord_commits_total', help: 'Commitments sent.', registers }),
    reveals: new Counter({ name: 'concord_reveals_total', help: 'Reveals sent.', registers }),
    errors: new Counter({
      name: 'concord_errors_total',
      help: 'Errors by stable code.',
      labelNames: ['code'],
      registers,
    }),
    http: new Histogram({
      name: 'concord_http_request_duration_seconds',
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    }),
    inference: inferenceMetrics(registry),
  };
}

/** The Prometheus side of `InferenceMetrics`, registered in `registry`. */
function inferenceMetrics(registry: Registry): InferenceMetrics {
  const registers = [registry];
  const started = new Counter({
    name: 'concord_inference_sessions_started_total',
    help: 'Inference sessions this node began generating as a gateway.',
    registers,
  });
  const completed = new Counter({
    name: 'concord_inference_sessions_completed_total',
    help: 'Inference sessions that stopped generating without an error.',
    registers,
  });
  const failed = new Counter({
    name: 'concord_inference_sessions_failed_total',
    help: 'Inference sessions that stopped generating with an error.',
    registers,
  });
  const tokens = new Counter({
    name: 'concord_inference_tokens_total',
    help: 'Tokens generated by inference sessions.',
    registers,
  });
  const failovers = new Counter({
    name: 'concord_inference_failovers_total',
    help: 'Hosts retired from a session (failed or outvoted), their shards moved to standbys.',
    registers,
  });
  const firstToken = new Histogram({
    name: 'concord_inference_time_to_first_token_seconds',
    help: 'Time from the start of generation to the first token.',
    buckets: FIRST_TOKEN_BUCKETS,
    registers,
  });
  const nextToken = new Histogram({
    name: 'concord_inference_token_seconds',
    help: 'Time waited for each token after the first.',
    buckets: TOKEN_BUCKETS,
    registers,
  });
  return {
    sessionStarted: () => started.inc(),
    sessionEnded: (outcome) => (outcome === 'completed' ? completed : failed).inc(),
    token(seconds, first) {
      tokens.inc();
      (first ? firstToken : nextToken).observe(seconds);
    },
    failover: () => failovers.inc(),
  };
}
