import type { HealthChecks } from '../health.ts';

/** Checks of a node whose dependencies are all fine: for tests that stub `ApiDeps.health`. */
export const ALL_OK_CHECKS: HealthChecks = {
  chain: { status: 'ok', head: '42', blockAgeSeconds: 1 },
  peers: { status: 'ok', connected: 1 },
  disk: { status: 'ok', freeBytes: 1e9 },
};
