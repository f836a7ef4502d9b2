/**
 * A user-space stand-in for a wide-area link (kernel `netem` is not available
 * on the project's machines): a TCP proxy on 127.0.0.1 that forwards every
 * connection to one target and delivers every chunk it reads to the other side
 * a fixed one-way delay later, in both directions, so a round trip through it
 * costs at least twice the delay. Chunks are timestamped as they are read and
 * released by a timer when due, so a chunk never waits behind another's delay:
 * the link adds latency, not a bandwidth limit (only the receiving socket's own
 * backpressure pauses the sender). A half-close travels in order behind the
 * data; an error on either side closes both at once.
 */
import { connect, createServer, type Socket } from 'node:net';

/** Where the proxy forwards to and how late it delivers. */
export type DelayProxyOptions = {
  readonly target: { readonly host: string; readonly port: number };
  /** Delay added to every chunk in each direction, in ms (round trip = twice this). */
  readonly oneWayDelayMs: number;
};

/** A running proxy: the port it listens on (127.0.0.1), and `close`, which drops every connection. */
export type DelayProxy = {
  readonly port: number;
  /** Stops listening, destroys every open connection; resolves once every socket has closed. */
  close(): Promise<void>;
};

/** A chunk (or the end of the stream, `null`) and when it is due on the other side. */
type Pending = { readonly due: number; readonly chunk: Buffer | null };

/**
 * Forwards what `from` reads to `to`, each chunk `delayMs` after it was read,
 * in order. What is still pending when `to` closes is dropped.
 */
function forwardDelayed(from: Socket, to: Socket, delayMs: number): void {
  const queue: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  const release = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.due <= now) {
      const { chunk } = queue.shift()!;
      if (to.destroyed) continue;
      if (chunk === null) {
        to.end();
      } else if (!to.write(chunk) && !from.isPaused()) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    }
    arm();
  };
  const arm = () => {
    if (timer === undefined && queue.length > 0) {
      timer = setTimeout(release, Math.max(0, queue[0]!.due - performance.now()));
    }
  };
  const enqueue = (chunk: Buffer | null) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    arm();
  };
  from.on('data', (chunk: Buffer) => enqueue(chunk));
  from.on('end', () => enqueue(null));
  to.once('close', () => {
    clearTimeout(timer);
    queue.length = 0;
  });
}

/** Starts a delay proxy on 127.0.0.1 (a free port) in front of `options.target`. */
export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  const delayMs = options.oneWayDelayMs;
  if (!(Number.isFinite(delayMs) && delayMs >= 0)) {
    throw new RangeError(`oneWayDelayMs must be a finite number >= 0 (got ${delayMs})`);
  }
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const upstream = connect({
      host: options.target.host,
      port: options.target.port,
      allowHalfOpen: true,
      noDelay: true,
    });
    track(client);
    track(upstream);
    forwardDelayed(client, upstream, delayMs);
    forwardDelayed(upstream, client, delayMs);
    // An error (a reset, a refused connection) takes both sides down at once; a
    // clean close of one side leaves the other to deliver what is on its way.
    const fail = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail);
    upstream.on('error', fail);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the delay proxy has no TCP port');
  return {
    port: address.port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(
        [...sockets].map((s) => {
          const gone = new Promise((resolve) => s.once('close', resolve));
          s.destroy();
          return gone;
        }),
      );
      await closed;
    },
  };
}
