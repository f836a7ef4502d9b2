// The WAN bench's delay proxy (bench/support/delayProxy.ts): bytes pass unchanged both ways,
// every round trip costs at least twice the one-way delay (and chunks do not queue behind each
// other's delay), large transfers arrive whole, and closing leaves no socket behind.
// Functional checks only: lower bounds, and upper bounds generous enough for a loaded machine.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { type DelayProxy, startDelayProxy } from '../../bench/support/delayProxy.ts';

/** Starts a TCP server on 127.0.0.1 (a free port) with the given connection handler. */
async function listen(handler: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { server, port: address.port };
}

/** Everything a socket reads until its end. */
async function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Connects to a proxy's port. */
async function dial(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await once(socket, 'connect');
  return socket;
}

/** Resolves when `socket` has closed, whether or not it ended in an error. */
function closed(socket: Socket): Promise<void> {
  socket.on('error', () => undefined);
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Reads from `socket` until `bytes` bytes have arrived. */
function readBytes(socket: Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= bytes) {
        socket.off('data', onData);
        socket.off('error', reject);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

describe('delay proxy', () => {
  const echo = listen((socket) => socket.pipe(socket));
  const proxies: DelayProxy[] = [];
  const proxy = async (oneWayDelayMs: number, port?: number) => {
    const p = await startDelayProxy({
      target: { host: '127.0.0.1', port: port ?? (await echo).port },
      oneWayDelayMs,
    });
    proxies.push(p);
    return p;
  };
  after(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    (await echo).server.close();
  });

  it('passes bytes unchanged in both directions, and the end of each direction', async () => {
    const toClient = randomBytes(64 * 1024);
    const toServer = randomBytes(48 * 1024);
    let received: Promise<Buffer> | undefined;
    const { server, port } = await listen((socket) => {
      received = readAll(socket);
      socket.end(toClient);
    });
    try {
      const p = await proxy(5, port);
      const client = await dial(p.port);
      client.end(toServer);
      assert.deepEqual(await readAll(client), toClient);
      assert.ok(received);
      assert.deepEqual(await received, toServer);
    } finally {
      server.close();
    }
  });

  it('delays each round trip by at least twice the one-way delay', async () => {
    const delay = 40;
    const p = await proxy(delay);
    const client = await dial(p.port);
    for (let i = 0; i < 3; i++) {
      const message = Buffer.from(`ping ${i}`);
      const started = performance.now();
      const answer = readBytes(client, message.length);
      client.write(message);
      assert.deepEqual(await answer, message);
      const rtt = performance.now() - started;
      assert.ok(rtt >= 2 * delay - 2, `round trip ${rtt.toFixed(1)} ms < ${2 * delay} ms`);
      assert.ok(rtt < 2 * delay + 1500, `round trip ${rtt.toFixed(1)} ms is far above ${2 * delay} ms`);
    }
    client.destroy();
  });

  it('does not hold a chunk behind the delay of the one before it', async () => {
    const delay = 100;
    const chunks = 20;
    const p = await proxy(delay);
    const client = await dial(p.port);
    const started = performance.now();
    const answer = readBytes(client, chunks);
    for (let i = 0; i < chunks; i++) {
      client.write(Buffer.from([i]));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(
      [...(await answer)],
      Array.from({ length: chunks }, (_, i) => i),
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 2 * delay - 2, `${elapsed.toFixed(1)} ms < ${2 * delay} ms`);
    // Serialized delays would take chunks × 2 × delay = 4 s.
    assert.ok(elapsed < 2000, `${chunks} spaced chunks took ${elapsed.toFixed(0)} ms: delays add up`);
    client.destroy();
  });

  it('carries a transfer of several megabytes intact', async () => {
    const p = await proxy(10);
    const client = await dial(p.port);
    const data = randomBytes(6 * 1024 * 1024);
    const answer = readBytes(client, data.length);
    client.write(data);
    assert.ok((await answer).equals(data));
    client.destroy();
  });

  it('closes: drops open connections on both sides, refuses new ones', async () => {
    let upstream: Socket | undefined;
    const { server, port } = await listen((socket) => {
      upstream = socket;
      socket.pipe(socket);
    });
    try {
      const p = await startDelayProxy({ target: { host: '127.0.0.1', port }, oneWayDelayMs: 20 });
      const client = await dial(p.port);
      const answer = readBytes(client, 2);
      client.write('hi');
      assert.equal((await answer).toString(), 'hi');
      assert.ok(upstream);
      // A connection dropped with bytes in flight may end in a reset: closed is what counts.
      const upstreamClosed = closed(upstream);
      const clientClosed = closed(client);
      client.write('pending'); // still on its way when the proxy closes
      await p.close();
      await Promise.all([upstreamClosed, clientClosed]);
      const refused = connect({ host: '127.0.0.1', port: p.port });
      const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
      assert.equal(err.code, 'ECONNREFUSED');
    } finally {
      server.close();
    }
  });

  it('closes the client side when the target refuses the connection', async () => {
    const { server, port } = await listen(() => undefined);
    server.close();
    await once(server, 'close');
    const p = await proxy(5, port);
    await closed(await dial(p.port));
  });

  it('refuses a delay that is negative or not a number', async () => {
    for (const oneWayDelayMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(
        startDelayProxy({ target: { host: '127.0.0.1', port: 1 }, oneWayDelayMs }),
        RangeError,
      );
    }
  });
});
