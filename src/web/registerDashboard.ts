import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type DashboardDeps, readSnapshot } from './snapshot.ts';

/** Where `scripts/build/web.mjs` writes the dashboard page. */
export const DASHBOARD_FILE = fileURLToPath(new URL('../../generated/web/index.html', import.meta.url));

/** Options of {@link registerDashboard}. */
export type DashboardOptions = {
  /** How often `/v1/events` reads a snapshot, in ms (default 1000); only changes are sent. */
  intervalMs?: number;
  /** The built page (default {@link DASHBOARD_FILE}). */
  file?: string;
};

/**
 * Mounts the dashboard on a node's API: `GET /` serves the built page and
 * `GET /v1/events` streams snapshots (peers, stake, health, tasks with
 * committee, commits, reveals, winner and payouts, shares per address) as
 * Server-Sent Events, one `snapshot` event whenever something changed.
 */
export function registerDashboard(
  app: FastifyInstance,
  deps: DashboardDeps,
  options: DashboardOptions = {},
): void {
  const file = options.file ?? DASHBOARD_FILE;
  const intervalMs = options.intervalMs ?? 1000;
  const streams = new Set<() => void>();
  // An open event stream would keep `app.close()` waiting: end them all first.
  app.addHook('preClose', async () => {
    for (const end of streams) end();
  });
  app.get('/', async (_request, reply) => {
    if (!existsSync(file)) {
      return reply.status(503).send({
        error: { code: 'DASHBOARD_NOT_BUILT', message: 'The dashboard is not built. Run `npm run build`.' },
      });
    }
    return reply.type('text/html; charset=utf-8').send(readFileSync(file));
  });
  app.get('/v1/events', (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    const send = (text: string) => {
      if (!res.writableEnded) res.write(text);
    };
    let last = '';
    let busy = false;
    const tick = async () => {
      if (busy) return;
      busy = true;
      try {
        const data = JSON.stringify(await readSnapshot(deps));
        if (data !== last) send(`event: snapshot\ndata: ${data}\n\n`);
        else send(': idle\n\n');
        last = data;
      } catch {
        // The detail goes nowhere public: it could name internals. The page shows that data is stale.
        send(`event: problem\ndata: ${JSON.stringify('the node could not read its state; retrying')}\n\n`);
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), intervalMs);
    const end = () => {
      clearInterval(timer);
      streams.delete(end);
      res.end();
    };
    streams.add(end);
    void tick();
    request.raw.once('close', end);
  });
}
