import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Hex, parseEther } from 'viem';
import { participantState } from '../../src/chain/actions/participantState.ts';
import { devAccount } from '../../src/chain/devAccounts.ts';
import { type DevChain, startDevChain } from '../../src/chain/devChain.ts';
import { encodeTensor } from '../../src/core/codec.ts';
import { launchNode } from '../../src/devnet/nodeProcess.ts';
import type { NodeInfo, RunningNode } from '../../src/node/daemon.ts';
import { startLocalNodes } from '../../src/node/localNodes.ts';
import { DISK_HEADROOM_BYTES } from '../../src/store/blobStore.ts';
import { fillDisk, mountSmallDisk, type SmallDisk, tempDir } from '../../src/store/testing.ts';
import { KERNEL_VERSION } from '../../src/tensor/index.ts';
import { waitFor } from './nodeProcess.ts';

// A node process spawned the devnet's way (stdout and stderr to a log file in
// its data directory) on a real 3 MiB tmpfs, beside an in-process creator
// node on anvil. The disk fills up, then is freed.
const disk: SmallDisk = mountSmallDisk('e2e-diskfull', '3m');
const tmp = tempDir('e2e-diskfull');
let chain: DevChain;
let creator: RunningNode;
let node: NodeInfo;
const dataDir = join(disk.dir ?? tmp.dir, 'node');
const logFile = join(dataDir, 'node.log');

const log = () => {
  try {
    return readFileSync(logFile, 'utf8');
  } catch {
    return '(no log)';
  }
};
const tail = () => log().trimEnd().split('\n').slice(-25).join('\n');

async function call(apiUrl: string, token: string, path: string, init: RequestInit = {}) {
  const headers = { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` };
  const res = await fetch(`${apiUrl}${path}`, { ...init, headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const creatorApi = (path: string, init?: RequestInit) =>
  call(creator.apiUrl, creator.apiToken.reveal(), path, init);
const nodeApi = (path: string, init?: RequestInit) =>
  call(node.apiUrl, readFileSync(join(dataDir, 'api-token'), 'utf8').trim(), path, init);

/** Sum of a Prometheus counter's samples (every label set) on a node's `/metrics`. */
async function counter(apiUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && (l[name.length] === ' ' || l[name.length] === '{'))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}
const diskFullErrors = async () => {
  const text = await (await fetch(`${node.apiUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('concord_errors_total{code="DISK_FULL"}'));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
};

/** Uploads a matvec problem (rows × cols) to the creator and creates a two-member task. */
async function createTask(rows: number, cols: number): Promise<bigint> {
  const put = async (bytes: Uint8Array) =>
    (
      await creatorApi('/v1/blobs', {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      })
    ).body.digest as Hex;
  const w = new Float32Array(rows * cols).map((_, i) => ((i * 7) % 13) / 13 - 0.5);
  const x = new Float32Array(cols).map((_, i) => (i % 5) / 5 - 0.5);
  const spec = {
    kind: 'matvec',
    kernel: KERNEL_VERSION,
    matrix: await put(encodeTensor({ dtype: 'f32', shape: [rows, cols], data: w })),
    vector: await put(encodeTensor({ dtype: 'f32', shape: [cols], data: x })),
  };
  const res = await creatorApi('/v1/tasks', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      spec,
      baseReward: parseEther('1').toString(),
      maxParticipants: 2,
      quorum: 2,
      committeeSize: 2,
      commitSeconds: 120,
      revealSeconds: 120,
    }),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return BigInt(res.body.taskId as string);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a node whose data directory fills up', { skip: disk.skip ?? false, timeout: 150_000 }, () => {
  before(async () => {
    chain = await startDevChain({ actors: 2 });
    [creator] = (await startLocalNodes({
      chain,
      dir: tmp.dir,
      count: 1,
      config: () => ({ pollIntervalMs: 100 }),
    })) as [RunningNode];
    const keyFile = join(tmp.dir, 'disk-node.key');
    writeFileSync(keyFile, devAccount(2).privateKey, { mode: 0o600 });
    mkdirSync(dataDir, { recursive: true });
    node = await launchNode({
      rpcUrl: chain.anvil.rpcUrl,
      deploymentFile: join(tmp.dir, 'deployment.json'),
      keyFile,
      dataDir,
      logFile,
      bootstrap: creator!.multiaddrs,
    });
  });

  after(async () => {
    if (node && alive(node.pid)) {
      process.kill(node.pid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (alive(node.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (alive(node.pid)) process.kill(node.pid, 'SIGKILL');
    }
    await creator?.stop();
    await chain?.stop();
    disk.unmount?.();
    tmp.cleanup();
  });

  it('stays up, answers 507, fetches nothing it cannot store, does not spin, and resumes when space returns', async () => {
    const filler = join(disk.dir!, 'filler');
    // 1. Room for small blobs, not for a 640 KiB input: the fetch fails once, as the local DISK_FULL.
    fillDisk(disk.dir!, DISK_HEADROOM_BYTES + 128 * 1024);
    const big = await createTask(160, 1024);
    await waitFor(
      'a DISK_FULL error on the node',
      async () => ((await diskFullErrors()) > 0 ? true : undefined),
      30_000,
      tail,
    );
    const served = await counter(creator.apiUrl, 'concord_blob_bytes_served_total');
    // At most one attempt's worth: the server may push the whole blob into the stream before the refusal lands.
    assert.ok(served < 2 * 160 * 1024 * 4, `the creator served ${served} bytes before the node gave up`);
    await new Promise((r) => setTimeout(r, 4_000)); // two compute retries' worth
    assert.equal(await counter(creator.apiUrl, 'concord_blob_bytes_served_total'), served, 'no re-fetch');

    // 2. Completely full (the log file too): the node stays up, the API answers 507, nothing spins.
    fillDisk(disk.dir!);
    const small = await createTask(6, 10);
    // Each refusal is logged (`api: 507 ...`, ~110 bytes); 60 of them outgrow the slack in the log
    // file's last page (4 KiB), so some log writes fail with ENOSPC.
    for (let i = 0; i < 60; i++) {
      const put = await nodeApi('/v1/blobs', {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: new Uint8Array(4096),
      });
      assert.equal(put.status, 507);
      assert.equal((put.body.error as { code: string }).code, 'DISK_FULL');
      assert.equal(typeof (put.body.error as { message: string }).message, 'string');
    }
    const errorsBefore = await counter(node.apiUrl, 'concord_errors_total');
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 3_000));
    const rate =
      ((await counter(node.apiUrl, 'concord_errors_total')) - errorsBefore) / ((Date.now() - t0) / 1000);
    assert.ok(rate <= 3, `${rate.toFixed(1)} errors/s while the disk is full`);
    assert.ok(alive(node.pid), `the node died:\n${tail()}`);
    assert.equal((await fetch(`${node.apiUrl}/health`)).status, 200);

    // 3. Space returns: the node fetches, computes, commits and reveals both tasks; its log resumes.
    rmSync(filler);
    for (const taskId of [big, small]) {
      await waitFor(
        `the node's reveal of task ${taskId}`,
        async () => {
          const state = await participantState(creator.ctx, { taskId, account: node.address });
          return state.status === 'revealed' ? true : undefined;
        },
        40_000,
        tail,
      );
    }
    assert.ok(alive(node.pid));
    const text = log();
    assert.doesNotMatch(text, /Unhandled|ENOSPC\n\s+at /);
    assert.match(text, /log writes resumed after ENOSPC: [1-9][0-9]* line\(s\) dropped/);
    assert.ok(text.split('\n').filter((l) => l.includes('DISK_FULL')).length <= 2, tail());
  });
});
