import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Options of {@link startRpcProxy}. */
export type RpcProxyOptions = {
  /** The JSON-RPC endpoint requests are forwarded to (e.g. an anvil's `rpcUrl`). */
  target: string;
  /** Fraction of HTTP requests (0..1) that fail before reaching the target (default 0). */
  failRate?: number;
  /** Seed of the failure draws, so a run is repeatable (default 1). */
  seed?: number;
};

/** How one injected failure looks to the client. */
export type RpcFault =
  /** HTTP 503 with a text body; the target never sees the request. */
  | '5xx'
  /** The connection is destroyed before any answer; the target never sees the request. */
  | 'reset'
  /** The target processes the request, then the connection is destroyed: the answer is lost. */
  | 'lose-response';

/** What the proxy saw: HTTP requests in, failures injected, and JSON-RPC calls per method. */
export type RpcProxyCounts = {
  requests: number;
  failed: number;
  /** JSON-RPC calls that reached the target, per method (a batch counts each call). */
  forwarded: Record<string, number>;
  /** JSON-RPC calls whose HTTP request was failed, per method. */
  failedByMethod: Record<string, number>;
};

/** A running proxy; see {@link startRpcProxy}. */
export type RpcProxy = {
  /** The proxy's JSON-RPC URL. */
  url: string;
  /** Changes the fraction of requests failed from now on. */
  setFailRate(rate: number): void;
  /** Fails the next HTTP request containing a call of `method` this way (in addition to `failRate`). */
  failNext(method: string, fault: RpcFault): void;
  /** Holds every request (new and waiting) for `ms` milliseconds, or until {@link RpcProxy.resume} when omitted. */
  stall(ms?: number): void;
  /** Releases held requests and ends a stall. */
  resume(): void;
  /** Closes the proxy and every open connection. */
  stop(): Promise<void>;
  /** Live counters. */
  readonly counts: RpcProxyCounts;
};

/**
 * A flaky JSON-RPC endpoint for tests: an HTTP server on 127.0.0.1 that
 * forwards to `target`, failing a seeded fraction of requests with HTTP 503
 * or a connection reset, losing chosen answers after the target processed
 * them, and holding requests during a stall. A target that does not answer
 * (not started yet) shows as a reset connection, like a provider that is down.
 */
export async function startRpcProxy(options: RpcProxyOptions): Promise<RpcProxy> {
  let failRate = options.failRate ?? 0;
  const random = mulberry32(options.seed ?? 1);
  const scheduled: { method: string; fault: RpcFault }[] = [];
  const counts: RpcProxyCounts = { requests: 0, failed: 0, forwarded: {}, failedByMethod: {} };
  let stalledUntil = 0;
  let release: (() => void)[] = [];
  const sockets = new Set<Socket>();

  const waitWhileStalled = async () => {
    while (Date.now() < stalledUntil) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(stalledUntil - Date.now(), 2 ** 31 - 1));
        release.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    counts.requests++;
    await waitWhileStalled();
    const methods = methodsOf(body);
    const i = scheduled.findIndex((s) => methods.includes(s.method));
    const fault: RpcFault | undefined =
      i >= 0
        ? scheduled.splice(i, 1)[0]!.fault
        : random() < failRate
          ? random() < 0.5
            ? '5xx'
            : 'reset'
          : undefined;
    if (fault !== undefined) {
      counts.failed++;
      for (const m of methods) counts.failedByMethod[m] = (counts.failedByMethod[m] ?? 0) + 1;
    }
    if (fault === '5xx') {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('injected failure');
      return;
    }
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    let answer: Response;
    try {
      answer = await fetch(options.target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    } catch {
      req.socket.destroy();
      return;
    }
    const text = await answer.text();
    for (const m of methods) counts.forwarded[m] = (counts.forwarded[m] ?? 0) + 1;
    if (fault === 'lose-response') {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const resume = () => {
    stalledUntil = 0;
    const waiting = release;
    release = [];
    for (const fn of waiting) fn();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    setFailRate: (rate) => {
      failRate = rate;
    },
    failNext: (method, fault) => {
      scheduled.push({ method, fault });
    },
    stall: (ms) => {
      stalledUntil = ms === undefined ? Number.POSITIVE_INFINITY : Date.now() + ms;
    },
    resume,
    stop: async () => {
      resume();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON-RPC methods in a request body (one call or a batch). */
function methodsOf(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as { method?: unknown } | { method?: unknown }[];
    return (Array.isArray(parsed) ? parsed : [parsed]).map((c) => String(c.method));
  } catch {
    return [];
  }
}

/** A small seeded PRNG (uniform in [0, 1)). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
