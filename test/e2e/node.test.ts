import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import { type Hex, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { taskMarketAbi } from '../../generated/contracts/index.ts';
import { getNode } from '../../src/chain/actions/getNode.ts';
import { getTask } from '../../src/chain/actions/getTask.ts';
import { modelMemoryOf } from '../../src/chain/actions/modelMemoryOf.ts';
import { participantState as readParticipantState } from '../../src/chain/actions/participantState.ts';
import { setPoolCreator } from '../../src/chain/actions/setPoolCreator.ts';
import { sharesOf } from '../../src/chain/actions/sharesOf.ts';
import { createConcordContext } from '../../src/chain/context.ts';
import { writeDeployment } from '../../src/chain/deployment.ts';
import { devAccount } from '../../src/chain/devAccounts.ts';
import { type DevChain, startDevChain } from '../../src/chain/devChain.ts';
import { increaseTime, mineBlocks } from '../../src/chain/devRpc.ts';
import { poolId } from '../../src/chain/poolId.ts';
import { encodeTensor } from '../../src/core/codec.ts';
import { digestBytes } from '../../src/core/digest.ts';
import { reachableHosts } from '../../src/core/netHosts.ts';
import type { TaskView } from '../../src/node/api/types.ts';
import { chainNow } from '../../src/node/chainTime.ts';
import { signBlobRequest } from '../../src/p2p/blobRequest.ts';
import { type ConcordHost, createHost } from '../../src/p2p/createHost.ts';
import { fetchBlob } from '../../src/p2p/fetchBlob.ts';
import { BlobStore } from '../../src/store/blobStore.ts';
import { matvecKind } from '../../src/tasks/matvec.ts';
import { MemoryBlobs } from '../../src/tasks/testing.ts';
import { KERNEL_VERSION } from '../../src/tensor/index.ts';
import { type NodeProcess, spawnNode, waitFor } from './nodeProcess.ts';

// Four `concord node start` processes and anvil on 127.0.0.1. Node 3 lies; node 0 also binds 0.0.0.0.
const NODES = 4;
const LIAR = 3;
const root = new URL('../..', import.meta.url).pathname;
let dir: string;
let chain: DevChain;
let deploymentFile: string;
const nodes: NodeProcess[] = [];
let client: ConcordHost;

const dataDir = (i: number) => join(dir, `node${i}`);
const keyFile = (i: number) => join(dir, `node${i}.key`);
const logs = () => nodes.map((n, i) => `--- node${i}\n${n.output.slice(-15).join('\n')}`).join('\n');

async function start(i: number, flags: string[] = []): Promise<NodeProcess> {
  nodes[i] = await spawnNode({
    rpcUrl: chain.anvil.rpcUrl,
    deploymentFile,
    keyFile: keyFile(i),
    dataDir: dataDir(i),
    bootstrap: i === 0 ? [] : nodes[0]!.info.multiaddrs,
    flags: [...flags, ...(i === LIAR ? ['--lie'] : [])],
  });
  return nodes[i]!;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'concord-e2e-'));
  chain = await startDevChain({ actors: NODES });
  deploymentFile = join(dir, 'deployment.json');
  writeDeployment(deploymentFile, chain.deployment);
  for (let i = 0; i < NODES; i++) writeFileSync(keyFile(i), devAccount(i + 1).privateKey, { mode: 0o600 });
  // Node 0 binds its API and one libp2p listener to every interface (what `node status` shows then).
  await start(0, ['--max-model-memory', '512MiB', '--api-host', '0.0.0.0', '--listen', '/ip4/0.0.0.0/tcp/0']);
  await Promise.all([1, 2, 3].map((i) => start(i)));
  client = await createHost({ privateKey: await generateKeyPair('Ed25519') });
});

after(async () => {
  await client?.stop();
  await Promise.all(nodes.map((n) => n.stop()));
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function api(path: string, init: RequestInit = {}) {
  const token = readFileSync(join(dataDir(0), 'api-token'), 'utf8').trim();
  const headers = { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` };
  const res = await fetch(`${nodes[0]!.info.apiUrl}${path}`, { ...init, headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Uploads `bytes` to node 0 and returns their digest. */
async function putBlob(bytes: Uint8Array): Promise<string> {
  const res = await api('/v1/blobs', {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  return res.body.digest as string;
}

/** Uploads a random-ish matvec problem to node 0 and creates the task; returns its id and the honest digest. */
async function createMatvecTask(
  seed: number,
  extra: Record<string, unknown> = {},
): Promise<{ id: bigint; honest: Hex }> {
  const rows = 6;
  const cols = 10;
  const w = new Float32Array(rows * cols).map((_, i) => ((i * seed) % 17) / 17 - 0.5);
  const x = new Float32Array(cols).map((_, i) => ((i + seed) % 7) / 7 - 0.5);
  const spec = {
    kind: 'matvec',
    kernel: KERNEL_VERSION,
    matrix: await putBlob(encodeTensor({ dtype: 'f32', shape: [rows, cols], data: w })),
    vector: await putBlob(encodeTensor({ dtype: 'f32', shape: [cols], data: x })),
  };
  const local = new MemoryBlobs();
  local.putF32([rows, cols], w);
  local.putF32([cols], x);
  const honest = digestBytes(await matvecKind.run(matvecKind.parseSpec(spec), local.context()));
  const res = await api('/v1/tasks', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      spec,
      baseReward: parseEther('1').toString(),
      bond: parseEther('1').toString(),
      stakeSlash: parseEther('10').toString(),
      maxParticipants: 4,
      quorum: 2,
      committeeSize: 4,
      commitSeconds: 90,
      revealSeconds: 90,
      ...extra,
    }),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id: BigInt(res.body.taskId as string), honest };
}

async function finalized(id: bigint, timeoutMs = 60_000): Promise<TaskView> {
  return await waitFor(
    `task ${id} finalized`,
    async () => {
      const { body } = await api(`/v1/tasks/${id}`);
      const view = body as TaskView;
      return view.state === 'finalized' || view.state === 'failed' ? view : undefined;
    },
    timeoutMs,
    logs,
  );
}

async function allClaimed(id: bigint, members: readonly Hex[]): Promise<void> {
  await waitFor(
    `claims of task ${id}`,
    async () => {
      const states = await Promise.all(
        members.map((account) => readParticipantState(chain.deployer, { taskId: id, account })),
      );
      return states.every((s) => s.claimed) ? true : undefined;
    },
    30_000,
    logs,
  );
}

describe('concord node start: four node processes on a real chain', { timeout: 240_000 }, () => {
  it('`concord node status` reports the running node and the memory cap it announced on chain', async () => {
    const out = spawnSync(process.execPath, [
      join(root, 'bin/concord.mjs'),
      'node',
      'status',
      '--data',
      dataDir(0),
      '--json',
    ]);
    assert.equal(out.status, 0, out.stderr.toString());
    const status = JSON.parse(out.stdout.toString());
    assert.equal(status.peerId, nodes[0]!.info.peerId);
    assert.equal(status.address, devAccount(1).address);
    assert.equal(status.maxModelMemory, String(512 * 2 ** 20));
    // Bound to 0.0.0.0: usable URLs and addresses, this machine's interfaces first, loopback last.
    const port = new URL(nodes[0]!.info.apiUrl).port;
    assert.deepEqual(
      status.apiUrls,
      reachableHosts('0.0.0.0').map((h) => `http://${h}:${port}`),
    );
    assert.equal(status.apiUrl, status.apiUrls[0]);
    const multiaddrs = status.multiaddrs as string[];
    assert.ok(!multiaddrs.some((m) => m.includes('/0.0.0.0/')), multiaddrs.join(' '));
    const firstLoopback = multiaddrs.findIndex((m) => m.startsWith('/ip4/127.'));
    assert.ok(firstLoopback >= 0);
    assert.ok(
      multiaddrs.slice(firstLoopback).every((m) => m.startsWith('/ip4/127.')),
      multiaddrs.join(' '),
    );
    assert.equal(
      multiaddrs.length,
      reachableHosts('0.0.0.0').length + 1,
      'each interface, and loopback twice',
    );
    assert.equal(await modelMemoryOf(chain.deployer, { account: nodes[0]!.info.address }), 512n * 2n ** 20n);
  });

  it('the honest result wins, payouts land, and the lying node is outvoted and slashed', async () => {
    const stakeBefore = (await getNode(chain.deployer, { account: nodes[LIAR]!.info.address })).stake;
    const { id, honest } = await createMatvecTask(3);
    const view = await finalized(id);
    assert.equal(view.state, 'finalized');
    assert.equal(view.winner, honest);
    assert.equal(view.reveals.length, 4);
    const liar = nodes[LIAR]!.info.address;
    const lie = view.reveals.find((r) => r.participant === liar);
    assert.ok(lie && lie.digest !== honest, 'the liar revealed a different digest');
    const winners = view.payouts.map((p) => p.account);
    assert.equal(winners.length, 3);
    assert.ok(!winners.includes(liar));
    const stakeAfter = (await getNode(chain.deployer, { account: liar })).stake;
    assert.equal(stakeBefore - stakeAfter, parseEther('10'));
    await allClaimed(id, winners);

    const list = await api('/v1/tasks?state=finalized&kind=matvec&limit=5');
    assert.ok((list.body.tasks as TaskView[]).some((t) => t.id === id.toString() && t.kindName === 'matvec'));
    assert.deepEqual((await api('/v1/tasks?state=committing')).body.tasks, []);
    const peers = (await api('/v1/peers')).body.peers as { peerId: string }[];
    assert.ok(peers.some((p) => p.peerId === nodes[1]!.info.peerId));
    const metrics = await (await fetch(`${nodes[0]!.info.apiUrl}/metrics`)).text();
    assert.match(metrics, /concord_commits_total [1-9]/);
    assert.match(metrics, /concord_blob_bytes_served_total [1-9]/);
    // The journal says claimed once the claim is confirmed (two blocks on top): this chain mines
    // only on transactions, so give it the blocks.
    await mineBlocks(chain.deployer, 2);
    await waitFor(
      'the claim confirmed in the journal',
      async () => {
        const text = await (await fetch(`${nodes[0]!.info.apiUrl}/metrics`)).text();
        return /concord_tasks\{state="claimed"\} [1-9]/.test(text) ? true : undefined;
      },
      30_000,
      logs,
    );
  });

  it('refuses tasks with a bad spec or inputs the node does not hold', async () => {
    const body = (spec: Record<string, unknown>) =>
      JSON.stringify({
        spec,
        baseReward: '1',
        maxParticipants: 1,
        quorum: 1,
        committeeSize: 1,
        commitSeconds: 9,
        revealSeconds: 9,
      });
    const headers = { 'content-type': 'application/json' };
    const bad = await api('/v1/tasks', {
      method: 'POST',
      headers,
      body: body({ kind: 'matvec', kernel: 'old' }),
    });
    assert.equal(bad.status, 400);
    assert.equal((bad.body.error as { code: string }).code, 'TASK_SPEC');
    const digest = `0x${'12'.repeat(32)}`;
    const spec = { kind: 'matvec', kernel: KERNEL_VERSION, matrix: digest, vector: digest };
    const missing = await api('/v1/tasks', { method: 'POST', headers, body: body(spec) });
    assert.equal(missing.status, 400);
    assert.equal((missing.body.error as { code: string }).code, 'TASK_INPUTS_MISSING');
    // Windows below TaskMarket's 60-s minimum are refused before any transaction.
    const held = {
      kind: 'matvec',
      kernel: KERNEL_VERSION,
      matrix: await putBlob(encodeTensor({ dtype: 'f32', shape: [2, 3], data: new Float32Array(6) })),
      vector: await putBlob(encodeTensor({ dtype: 'f32', shape: [3], data: new Float32Array(3) })),
    };
    const short = await api('/v1/tasks', { method: 'POST', headers, body: body(held) });
    assert.equal(short.status, 400);
    assert.equal((short.body.error as { code: string }).code, 'TASK_TERMS_OUT_OF_BOUNDS');
    assert.match(
      (short.body.error as { message: string }).message,
      /commit window of 9 s is below the minimum 60 s/,
    );
    const unknown = await api('/v1/tasks/999');
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body.error as { code: string }).code, 'UNKNOWN_TASK');
  });

  it('winners exchange the results of their pool; others are refused; wrong bytes are rejected', async () => {
    // Node 0 creates the tasks through its API, so the pool is one of its own.
    const pool = poolId(nodes[0]!.info.address, 'e2e exchange');
    const a = await createMatvecTask(5, { pool });
    const b = await createMatvecTask(7, { pool });
    const [va, vb] = [await finalized(a.id), await finalized(b.id)];
    assert.equal(va.winner, a.honest);
    assert.equal(vb.winner, b.honest);
    const first = (await api('/v1/tasks?limit=1')).body;
    assert.deepEqual(
      (first.tasks as TaskView[]).map((t) => t.id),
      [b.id.toString()],
    );
    const second = (await api(`/v1/tasks?limit=1&before=${first.next}`)).body;
    assert.deepEqual(
      (second.tasks as TaskView[]).map((t) => t.id),
      [a.id.toString()],
    );
    const inPool = (await api(`/v1/tasks?pool=${pool}`)).body;
    assert.deepEqual(
      (inPool.tasks as TaskView[]).map((t) => t.id),
      [b.id.toString(), a.id.toString()],
    );
    assert.equal(inPool.next, null);
    const winnerIndexes = nodes
      .map((n, i) => ({ n, i }))
      .filter(({ n }) => va.payouts.some((p) => p.account === n.info.address))
      .map(({ i }) => i);
    assert.ok(winnerIndexes.length >= 2);
    await waitFor(
      'exchange of pool results',
      async () =>
        winnerIndexes.every((i) => {
          const store = new BlobStore(join(dataDir(i), 'blobs'));
          return store.hasBlob(a.honest) && store.hasBlob(b.honest);
        })
          ? true
          : undefined,
      30_000,
      logs,
    );

    const server = nodes[winnerIndexes[0]!]!;
    const peer = multiaddr(server.info.multiaddrs[0]!);
    const chainId = chain.deployment.chainId;
    const outsider = privateKeyToAccount(devAccount(7).privateKey);
    // Requests carry the chain's time (the nodes judge them by it, not by their clocks).
    const chainTime = await chainNow(chain.deployer);
    const refused = await signBlobRequest(outsider, {
      digest: b.honest,
      chainId,
      chainTime,
      purpose: 'pool',
      context: pool,
    });
    await assert.rejects(fetchBlob(client, { peer, request: refused }), {
      name: 'BlobFetchUnauthorizedError',
    });

    // Task inputs go to committee members only.
    const creator = multiaddr(nodes[0]!.info.multiaddrs[0]!);
    const spec = (await getTask(chain.deployer, { taskId: a.id })).params.specDigest;
    const context = a.id.toString();
    const outsiderTask = await signBlobRequest(outsider, {
      digest: spec,
      chainId,
      purpose: 'task',
      context,
      chainTime,
    });
    await assert.rejects(fetchBlob(client, { peer: creator, request: outsiderTask }), {
      name: 'BlobFetchUnauthorizedError',
    });
    const member = privateKeyToAccount(devAccount(winnerIndexes[0]! + 1).privateKey);
    const memberTask = await signBlobRequest(member, {
      digest: spec,
      chainId,
      purpose: 'task',
      context,
      chainTime,
    });
    assert.equal(digestBytes(await fetchBlob(client, { peer: creator, request: memberTask })), spec);

    const holder = privateKeyToAccount(devAccount(winnerIndexes[1]! + 1).privateKey);
    const granted = await signBlobRequest(holder, {
      digest: b.honest,
      chainId,
      chainTime,
      purpose: 'pool',
      context: pool,
    });
    assert.equal(digestBytes(await fetchBlob(client, { peer, request: granted })), b.honest);

    // An account the pool's owner allows to add tasks (it creates the aggregate) may fetch the winners too.
    const owner = await createConcordContext({
      rpcUrl: chain.anvil.rpcUrl,
      privateKey: devAccount(1).privateKey,
      deployment: chain.deployment,
    });
    await setPoolCreator(owner, { account: outsider.address, allowed: true });
    const allowed = await signBlobRequest(outsider, {
      digest: b.honest,
      chainId,
      chainTime: await chainNow(chain.deployer),
      purpose: 'pool',
      context: pool,
    });
    assert.equal(digestBytes(await fetchBlob(client, { peer, request: allowed })), b.honest);

    const store = new BlobStore(join(dataDir(winnerIndexes[0]!), 'blobs'));
    const path = store.pathOf(b.honest);
    const bytes = store.getBlob(b.honest);
    bytes[bytes.length - 1]! ^= 1;
    rmSync(path);
    writeFileSync(path, bytes);
    const again = await signBlobRequest(holder, {
      digest: b.honest,
      chainId,
      chainTime,
      purpose: 'pool',
      context: pool,
    });
    // The server checks the bytes against the digest while streaming and aborts the stream.
    await assert.rejects(fetchBlob(client, { peer, request: again }), (err: Error) => {
      assert.ok(['BlobFetchProtocolError', 'BlobDigestMismatchError'].includes(err.name), err.name);
      return true;
    });
  });

  it('never prints its private key or API token', async () => {
    const health = JSON.stringify((await api('/health')).body);
    for (const [i, node] of nodes.entries()) {
      const key = devAccount(i + 1)
        .privateKey.slice(2)
        .toLowerCase();
      const token = readFileSync(join(dataDir(i), 'api-token'), 'utf8').trim();
      const text = `${node.output.join('\n')}\n${health}`.toLowerCase();
      assert.ok(!text.includes(key), `node${i} printed its key`);
      assert.ok(!text.includes(token.toLowerCase()), `node${i} printed its token`);
    }
  });

  it('nodes killed after committing restart and reveal in time', async () => {
    await Promise.all([1, 2].map((i) => nodes[i]!.stop()));
    await Promise.all([start(1, ['--crash-after', 'commit-sent']), start(2, ['--crash-after', 'committed'])]);
    const { id, honest } = await createMatvecTask(11);
    assert.equal(await nodes[1]!.exited, 'SIGKILL');
    assert.equal(await nodes[2]!.exited, 'SIGKILL');
    const task = await getTask(chain.deployer, { taskId: id });
    assert.equal(task.status, 'open');
    await Promise.all([1, 2].map((i) => start(i)));
    const view = await finalized(id);
    assert.equal(view.winner, honest);
    for (const i of [1, 2]) {
      const reveal = view.reveals.find((r) => r.participant === nodes[i]!.info.address);
      assert.equal(reveal?.digest, honest, `node${i} revealed after its restart`);
    }
    // node1 died after its commit was mined but before its journal marked it mined: the journal held
    // the transaction as sent (recorded when the endpoint took it), so the restarted node followed it
    // to confirmation and revealed with the salt journaled before the commit was sent.
    const journal = nodes[1]!.output.filter((line) => line.includes(`task ${id}: `));
    assert.ok(
      journal.some((line) => line.includes('journal committed (commit confirmed)')),
      journal.join('\n'),
    );
  });

  it("a lazy node that replays another member's commitment loses its bond and its stakeSlash and gains nothing", async () => {
    const LAZY = 2;
    await nodes[LAZY]!.stop();
    const lazy = (await start(LAZY, ['--lazy'])).info.address;
    const { id, honest } = await createMatvecTask(13);
    const view0 = await waitFor(
      `task ${id}: the others' reveals and the lazy node's refused one`,
      async () => {
        const view = (await api(`/v1/tasks/${id}`)).body as TaskView;
        const refused = nodes[LAZY]!.output.some(
          (l) => l.includes(`task ${id}: `) && l.includes('TaskCommitmentMismatch'),
        );
        const othersRevealed =
          view.commits.length === view.committee.length && view.reveals.length === view.commits.length - 1;
        return othersRevealed && refused ? view : undefined;
      },
      120_000,
      logs,
    );
    assert.ok(view0.committee.includes(lazy) && view0.commits.includes(lazy), 'the lazy node committed');
    assert.ok(!view0.reveals.some((r) => r.participant === lazy));
    const states = await Promise.all(
      view0.committee.map((account) => readParticipantState(chain.deployer, { taskId: id, account })),
    );
    const own = states[view0.committee.indexOf(lazy)]!;
    assert.equal(own.status, 'committed');
    assert.equal(states.filter((s) => s.commitment === own.commitment).length, 2, 'its commitment is a copy');

    // Nobody waits for a reveal that cannot come: move past the reveal deadline.
    await increaseTime(chain.deployer, 200);
    const view = await finalized(id);
    assert.equal(view.state, 'finalized');
    assert.equal(view.winner, honest);
    const winners = view.payouts.map((p) => p.account);
    assert.deepEqual(new Set(winners), new Set([0, 1].map((i) => nodes[i]!.info.address)));
    const after = await readParticipantState(chain.deployer, { taskId: id, account: lazy });
    assert.equal(after.status, 'committed');
    assert.equal(after.payout, 0n);
    const penalties = await chain.deployer.publicClient.getContractEvents({
      address: chain.deployment.addresses.taskMarket,
      abi: taskMarketAbi,
      eventName: 'ParticipantPenalized',
      args: { taskId: id, account: lazy },
      fromBlock: 0n,
    });
    // A committer that never reveals pays what a losing reveal would: its bond and the task's stakeSlash.
    assert.deepEqual(
      penalties.map((p) => [p.args.bondLost, p.args.stakeSlashed]),
      [[parseEther('1'), parseEther('10')]],
    );
    await allClaimed(id, winners);
    assert.equal(await sharesOf(chain.deployer, { account: lazy, taskId: id }), 0n);
    for (const account of winners) assert.ok((await sharesOf(chain.deployer, { account, taskId: id })) > 0n);
    await nodes[LAZY]!.stop();
    await start(LAZY);
  });
});
