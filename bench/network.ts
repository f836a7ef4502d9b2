/**
 * Network benchmark. Blob part: a 16 MB blob fetched over `/concord/blob/1.0.0`
 * from a libp2p peer in another process on loopback (signed request, the
 * server's verified read from its store, the client's digest check), beside
 * a raw `node:net` TCP transfer of the same bytes from the same process.
 * Runs alternate so both see the same machine load; the table shows the
 * median of each and the ratio.
 * Run: `node bin/run.mjs bench/network.ts [megabytes] [repetitions]` (defaults 16, 7).
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { multiaddr } from '@multiformats/multiaddr';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { signBlobRequest } from '../src/p2p/blobRequest.ts';
import { fetchBlob } from '../src/p2p/fetchBlob.ts';
import { startTestHost } from '../src/p2p/testing.ts';

const megabytes = Number(process.argv[2] ?? 16);
const reps = Number(process.argv[3] ?? 7);
const size = megabytes * 1024 * 1024;
const CHAIN = 31337;
const root = new URL('..', import.meta.url).pathname;

/** One measured operation: median wall time, throughput, and this process's CPU time per run. */
type Row = { name: string; ms: number; mbPerS: number; cpuMs?: number };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const mbps = (ms: number) => size / 1e6 / (ms / 1000);

/** Runs `fn` and adds its wall time to `walls` and this process's CPU time to `cpus` (ms). */
async function timed(fn: () => Promise<unknown>, walls: number[], cpus: number[]): Promise<void> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await fn();
  walls.push(Number(process.hrtime.bigint() - start) / 1e6);
  const used = process.cpuUsage(cpu);
  cpus.push((used.user + used.system) / 1000);
}

/** Blob exchange over libp2p vs raw TCP from a serving peer process, each `reps` times, interleaved. */
async function benchBlobExchange(): Promise<Row[]> {
  const peerProcess = spawn(
    process.execPath,
    ['bin/run.mjs', 'bench/support/networkPeer.ts', String(size), String(CHAIN)],
    {
      cwd: root,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: peerProcess.stdout! }).once('line', resolve);
    peerProcess.once('exit', () => reject(new Error('the serving peer exited early')));
  });
  const served = JSON.parse(firstLine) as { multiaddr: string; tcpPort: number; digest: Hex };
  const account = privateKeyToAccount(generatePrivateKey());
  const client = await startTestHost();
  const peer = multiaddr(served.multiaddr);
  const viaLibp2p = async () => {
    const request = await signBlobRequest(account, {
      digest: served.digest,
      chainId: CHAIN,
      purpose: 'pool',
      context: '1',
      chainTime: Math.floor(Date.now() / 1000),
    });
    const got = await fetchBlob(client, { peer, request });
    if (got.byteLength !== size) throw new Error('short libp2p transfer');
  };
  const viaTcp = () =>
    new Promise<void>((resolve, reject) => {
      const blob = new Uint8Array(size);
      let n = 0;
      const socket = connect(served.tcpPort, '127.0.0.1');
      socket.on('data', (chunk: Buffer) => {
        blob.set(chunk, n);
        n += chunk.byteLength;
      });
      socket.on('end', () => (n === size ? resolve() : reject(new Error('short tcp transfer'))));
      socket.on('error', reject);
    });

  const p2p: number[] = [];
  const raw: number[] = [];
  const p2pCpu: number[] = [];
  const rawCpu: number[] = [];
  try {
    await viaLibp2p();
    await viaTcp();
    for (let r = 0; r < reps; r++) {
      await timed(viaLibp2p, p2p, p2pCpu);
      await timed(viaTcp, raw, rawCpu);
    }
  } finally {
    await client.stop();
    peerProcess.stdin!.end();
  }
  return [
    {
      name: `libp2p blob fetch (${megabytes} MB, verified)`,
      ms: median(p2p),
      mbPerS: mbps(median(p2p)),
      cpuMs: median(p2pCpu),
    },
    {
      name: `raw TCP socket (${megabytes} MB)`,
      ms: median(raw),
      mbPerS: mbps(median(raw)),
      cpuMs: median(rawCpu),
    },
  ];
}

/**
 * NODE HELPER: add the "task creation → finalized, claimed" timing here
 * (devnet with anvil and node processes); return its rows, or [] to skip.
 */
async function benchTaskLifecycle(): Promise<Row[]> {
  return [];
}

const blobRows = await benchBlobExchange();
const rows = [...blobRows, ...(await benchTaskLifecycle())];
console.log(`network benchmark, median of ${reps} (after one warm-up each); cpu = the receiving process`);
for (const row of rows) {
  const cpu = row.cpuMs === undefined ? '' : `   cpu ${row.cpuMs.toFixed(1).padStart(6)} ms`;
  console.log(
    `${row.name.padEnd(42)} ${row.ms.toFixed(1).padStart(8)} ms ${row.mbPerS.toFixed(1).padStart(8)} MB/s${cpu}`,
  );
}
const [p2p, raw] = blobRows;
console.log(`ratio libp2p / raw TCP: ${(p2p!.mbPerS / raw!.mbPerS).toFixed(2)} (target: libp2p >= 100 MB/s)`);
process.exit(0);
