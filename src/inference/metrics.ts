/**
 * Where a gateway reports what its sessions do, for monitoring. The node
 * implements it with Prometheus metrics (`src/node/metrics.ts`); inference
 * itself depends on no metrics library. Every method is called synchronously
 * and must not throw.
 */
export type InferenceMetrics = {
  /** A session began generating. */
  sessionStarted(): void;
  /** A session stopped generating: without an error (`completed`, also when its reader stopped early) or with one (`failed`). */
  sessionEnded(outcome: 'completed' | 'failed'): void;
  /**
   * A token was generated: `seconds` is the time the reader waited for it,
   * since generation began for the first token (`first`), else since it
   * asked for the next one.
   */
  token(seconds: number, first: boolean): void;
  /** A host was retired from a session (failed or outvoted); its shards go to standbys. */
  failover(): void;
};

/** Reports nothing: the gateway's default. */
export const NO_INFERENCE_METRICS: InferenceMetrics = {
  sessionStarted: () => undefined,
  sessionEnded: () => undefined,
  token: () => undefined,
  failover: () => undefined,
};
