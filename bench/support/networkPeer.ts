/**
 * The serving side of bench/network.ts, run as its own process (as a real
 * peer would be): a store holding one blob, a libp2p host serving it over
 * `/concord/blob/1.0.0`, and a raw TCP server sending the same bytes. Prints
 * one JSON line `{ multiaddr, tcpPort, digest }`, then serves until stdin closes.
 * Usage: `node bin/run.mjs bench/support/networkPeer.ts <bytes> <chainId>`
 */

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { BlobServer, storeBlobSource } from '../../src/p2p/blobServer.ts';
import { startTestHost } from '../../src/p2p/testing.ts';
import { openStore } from '../../src/store/openStore.ts';
import { tempDir } from '../../src/store/testing.ts';

const size = Number(process.argv[2]);
const chainId = Number(process.argv[3]);

const bytes = new Uint8Array(size);
for (let i = 0; i < size; i++) bytes[i] = (i * 2654435761) >>> 24;
const tmp = tempDir('bench-peer');
const store = openStore(tmp.dir);
const digest = store.blobs.putBlob(bytes);
const host = await startTestHost();
await new BlobServer(host, {
  chainId,
  // No chain here: both processes of the benchmark stand in this machine's clock for it.
  chainTime: async () => Math.floor(Date.now() / 1000),
  source: storeBlobSource(store.blobs),
  authorize: async () => true,
}).start();
const tcp = createServer((socket) => socket.end(bytes));
await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
const tcpPort = (tcp.address() as AddressInfo).port;
process.stdout.write(
  `${JSON.stringify({ multiaddr: host.getMultiaddrs()[0]!.toString(), tcpPort, digest })}\n`,
);
process.stdin.resume();
process.stdin.on('end', async () => {
  tcp.close();
  await host.stop();
  store.close();
  tmp.cleanup();
  process.exit(0);
});
