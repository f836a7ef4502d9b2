import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { BaseError } from '../core/errors.ts';
import { type ConcordHost, type CreateHostParameters, createHost } from './createHost.ts';

/** A condition a test waited for never held. */
export class WaitForTimeoutError extends BaseError {
  override name = 'WaitForTimeoutError';
}

/** Starts a loopback host for tests, with a fresh in-memory key unless one is given. */
export async function startTestHost(params: Partial<CreateHostParameters> = {}): Promise<ConcordHost> {
  return createHost({ privateKey: params.privateKey ?? (await generateKeyPair('Ed25519')), ...params });
}

/** Resolves once `check` holds, polling every 50 ms; rejects with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new WaitForTimeoutError(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A TCP proxy on 127.0.0.1 whose link can be cut and healed, to partition real hosts in tests. */
export type TcpProxy = {
  /** The port the proxy listens on (the same after `heal()`). */
  port: number;
  /** Closes the listener and every proxied connection: the link is down. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  heal(): Promise<void>;
  /** Stops the proxy for good. */
  close(): Promise<void>;
};

/** Starts a proxy from a free 127.0.0.1 port to `127.0.0.1:targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1');
    track(inbound);
    track(outbound);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const cut = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  const port = await listen(0);
  return { port, cut, heal: async () => void (await listen(port)), close: cut };
}
