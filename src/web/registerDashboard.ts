import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pageSecurityHeaders } from './pageSecurity.ts';
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

/** One open `/v1/events` response. */
type EventStream = { send(text: string): void; end(): void };

const PROBLEM = `event: problem\ndata: ${JSON.stringify('the node could not read its state; retrying')}\n\n`;

/**
 * Mounts the dashboard on a node's API: `GET /` serves the built page (with
 * its Content-Security-Policy and framing headers, `pageSecurityHeaders`) and
 * `GET /v1/events` streams snapshots (network, tasks, models, ownership; see
 * `readSnapshot`) as Server-Sent Events, one `snapshot` event whenever
 * something changed. One reader serves every open stream: the node reads its
 * state once per interval however many dashboards are open, and not at all
 * when none is.
 */
export function registerDashboard(
  app: FastifyInstance,
  deps: DashboardDeps,
  options: DashboardOptions = {},
): void {
  const file = options.file ?? DASHBOARD_FILE;
  const intervalMs = options.intervalMs ?? 1000;
  const streams = new Set<EventStream>();
  let last: string | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const data = JSON.stringify(await readSnapshot(deps));
      const text = data !== last ? `event: snapshot\ndata: ${data}\n\n` : ': idle\n\n';
      // With every stream gone meanwhile, keep nothing: the next dashboard starts from a fresh read.
      last = streams.size > 0 ? data : undefined;
      for (const s of streams) s.send(text);
    } catch {
      // The detail goes nowhere public: it could name internals. The page shows that data is stale.
      for (const s of streams) s.send(PROBLEM);
    } finally {
      busy = false;
    }
  };
  // An open event stream would keep `app.close()` waiting: end them all first.
  app.addHook('preClose', async () => {
    for (const s of streams) s.end();
  });
  app.get('/', async (_request, reply) => {
    if (!existsSync(file)) {
      return reply.status(503).send({
        error: { code: 'DASHBOARD_NOT_BUILT', message: 'The dashboard is not built. Run `npm run build`.' },
      });
    }
    const html = readFileSync(file, 'utf8');
    return reply.type('text/html; charset=utf-8').headers(pageSecurityHeaders(html)).send(html);
  });
  app.get('/v1/events', (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    const stream: EventStream = {
      send: (text) => {
        if (!res.writableEnded) res.write(text);
      },
      end: () => {
        if (!streams.delete(stream)) return;
        res.end();
        if (streams.size > 0) return;
        clearInterval(timer);
        timer = undefined;
        last = undefined;
      },
    };
    streams.add(stream);
    request.raw.once('close', stream.end);
    if (last !== undefined) stream.send(`event: snapshot\ndata: ${last}\n\n`);
    if (timer === undefined) {
      timer = setInterval(() => void tick(), intervalMs);
      void tick();
    }
  });
}
