import { Counter, Gauge, Registry } from 'prom-client';

/** Values read at scrape time from the components that keep their own counters. */
export type MetricSources = {
  /** Task count per journal state. */
  taskStates?: () => Record<string, number>;
  /** Blob bytes the blob server has sent. */
  blobBytesServed?: () => number;
  /** Gossip messages received: delivered (`accepted`) and rejected by the validator (`dropped`). */
  gossip?: () => { accepted: number; dropped: number };
};

/**
 * A node's Prometheus metrics, in their own registry (several nodes can run
 * in one process in tests). The worker counts commits, reveals and errors
 * directly; the rest is read from its sources at scrape time.
 */
export type NodeMetrics = {
  registry: Registry;
  /** Commitments this node sent. */
  commits: Counter;
  /** Reveals this node sent. */
  reveals: Counter;
  /** Errors by stable `code` (the BaseError code, or framework codes). */
  errors: Counter<'code'>;
};

/** Creates the node's metrics registry. */
export function createNodeMetrics(sources: MetricSources = {}): NodeMetrics {
  const registry = new Registry();
  new Gauge({
    name: 'concord_tasks',
    help: 'Tasks in the node journal by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [state, count] of Object.entries(sources.taskStates?.() ?? {})) this.set({ state }, count);
    },
  });
  new Counter({
    name: 'concord_blob_bytes_served_total',
    help: 'Blob bytes served to peers.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.blobBytesServed?.() ?? 0);
    },
  });
  new Counter({
    name: 'concord_gossip_messages_total',
    help: 'Gossip messages received, by result.',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset();
      const g = sources.gossip?.() ?? { accepted: 0, dropped: 0 };
      this.inc({ result: 'accepted' }, g.accepted);
      this.inc({ result: 'dropped' }, g.dropped);
    },
  });
  return {
    registry,
    commits: new Counter({ name: 'concord_commits_total', help: 'Commitments sent.', registers: [registry] }),
    reveals: new Counter({ name: 'concord_reveals_total', help: 'Reveals sent.', registers: [registry] }),
    errors: new Counter({
      name: 'concord_errors_total',
      help: 'Errors by stable code.',
      labelNames: ['code'],
      registers: [registry],
    }),
  };
}
