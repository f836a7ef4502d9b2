import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { answersChainId } from '../../src/chain/anvil.ts';
import { readDeployment } from '../../src/chain/deployment.ts';
import { devAccount } from '../../src/chain/devAccounts.ts';
import type { AskResult } from '../../src/cli/commands/ask.ts';
import { NodeClient } from '../../src/client/nodeClient.ts';
import { encodeTensor } from '../../src/core/codec.ts';
import { digestBytes } from '../../src/core/digest.ts';
import { SHIPPED_MODEL_NAME } from '../../src/devnet/genesis.ts';
import { modelDigest } from '../../src/model/pieces/digest.ts';
import { SHIPPED_CHECKPOINT } from '../../src/model/shipped.ts';
import type { PeerView } from '../../src/node/api/types.ts';
import { localPlanTokens } from '../../src/node/testing/localDecode.ts';
import { readCheckpoint } from '../../src/tasks/checkpoint.ts';
import { checkpointOpening } from '../../src/tasks/checkpointPieces.ts';
import { matvecKind } from '../../src/tasks/matvec.ts';
import { MemoryBlobs } from '../../src/tasks/testing.ts';
import { tokenizerFromMetadata } from '../../src/tasks/tokenizerMetadata.ts';
import { KERNEL_VERSION } from '../../src/tensor/index.ts';
import { concord, concordJson, type TaskJson, waitForTaskEnd } from '../devnet/concordCli.ts';
import { type NodeProcess, waitFor } from '../e2e/nodeProcess.ts';
import { spawnNodeIn } from './hostNode.ts';
import { NetnsLab, namespacesUnavailable } from './netns.ts';

// A Concord network spread over five "hosts": Linux network namespaces, each with its own
// address on one bridge. anvil runs in `chain`, `concord node start` in `n1`..`n4`; this process
// (the operator's machine, on the bridge's own address) drives everything with the CLI: chain up,
// chain deploy, node keys, fund, node start, task create, credits buy, ask. Then it cuts one host's
// link in the middle of an answer and partitions and heals it.

const NODES = ['n1', 'n2', 'n3', 'n4'] as const;
type NodeName = (typeof NODES)[number];
/** The host whose link goes down mid-answer and which is then partitioned and healed (never the gateway). */
const CUT: NodeName = 'n4';
const RPC_PORT = 8545;
const P2P_PORT = 4001;
const API_PORT = 8080;
/** Every node must agree on these (docs/network.md); three replicas of four nodes keep a majority when one is cut off. */
const SERVING = ['--replicas', '3', '--standbys', '1', '--shards-per-matrix', '2'];
const SHARDS_PER_MATRIX = 2;
const PROMPT = 'We the people';
const MAX_TOKENS = 8;
const SAMPLING = { temperature: 0.8, topK: 40, seed: 7 } as const;
const ASK_FLAGS =
  `--max-tokens ${MAX_TOKENS} --temperature ${SAMPLING.temperature} --top-k ${SAMPLING.topK} --seed ${SAMPLING.seed}`.split(
    ' ',
  );
const START_TIMEOUT_MS = 60_000;
/**
 * libp2p's own reconnection is off in Concord (`reconnectRetries: 0`): when the connection monitor
 * closes a connection whose ping failed (every 10 s), the reconnect queue tries once, logs that it
 * gave up on this debug channel and leaves the peer to the node's Redialer. The partition lasts
 * until every side has given up, so only the node's own redial can bring the peers back together.
 */
const LIBP2P_RECONNECT_LOG = 'libp2p:reconnect-queue*';
const gaveUpOn = (peerId: string) => `failed to reconnect to ${peerId}`;

const skip = namespacesUnavailable();

describe('a Concord network across five network namespaces, driven by the CLI', {
  skip: skip === undefined ? false : `skipped: ${skip}`,
  timeout: 600_000,
}, () => {
  let lab: NetnsLab;
  let dir: string;
  let modelId: string;
  let rpcUrl: string;
  const nodes = new Map<NodeName, NodeProcess>();
  const keys = new Map<NodeName, { address: Hex; peerId: string }>();
  const timings: string[] = [];
  let mark = Date.now();
  const lap = (what: string) => {
    timings.push(`${what} ${((Date.now() - mark) / 1000).toFixed(1)} s`);
    mark = Date.now();
  };

  const deploymentFile = () => join(dir, 'deployment.json');
  const deployerKey = () => join(dir, 'deployer.key');
  const dataDir = (n: NodeName) => join(dir, n);
  const node = (n: NodeName) => nodes.get(n)!;
  const apiUrl = (n: NodeName) => node(n).info.apiUrl;
  const tokenFile = (n: NodeName) => join(dataDir(n), 'api-token');
  const chainFlags = () => ['--chain', rpcUrl, '--contracts', deploymentFile()];
  /** Each node's last log lines (its own, time-stamped ones; a multi-line error shows its first line), then the timings. */
  const logs = () =>
    [
      ...[...nodes].map(([n, p]) => {
        const own = p.output.filter((line) => /^\d{4}-\d\d-\d\dT/.test(line));
        return `--- ${n} (${lab.host(n).ip}, pid ${p.child.pid})\n${own.slice(-15).join('\n')}`;
      }),
      `--- timings: ${timings.join(', ')}`,
    ].join('\n');

  /** Runs `body`, adding the hosts' latest log lines to any failure. */
  const withLogs =
    <T>(body: () => Promise<T>) =>
    async (): Promise<T> => {
      try {
        return await body();
      } catch (err) {
        (err as Error).message += `\n${logs()}`;
        throw err;
      }
    };

  /** The distinct peer ids node `n` is connected to, or undefined when its API does not answer. */
  const peersOf = async (n: NodeName): Promise<Set<string> | undefined> => {
    try {
      const res = await fetch(`${apiUrl(n)}/v1/peers`, { signal: AbortSignal.timeout(1_000) });
      const { peers } = (await res.json()) as { peers: PeerView[] };
      return new Set(peers.filter((p) => p.connected).map((p) => p.peerId));
    } catch {
      return undefined;
    }
  };

  /**
   * Waits until node `n` serves version `version` of the shipped model, ready (a load that failed stays
   * `loading` and is retried at the next registry read).
   */
  const servedBy = (n: NodeName, version = '0') =>
    waitFor(
      `${n} serving ${SHIPPED_MODEL_NAME}@${version}`,
      async () => {
        const list = await new NodeClient(apiUrl(n)).models().catch(() => []);
        return list.find(
          (m) =>
            m.id === SHIPPED_MODEL_NAME && m.concord.versionIndex === version && m.concord.state === 'ready',
        );
      },
      60_000,
      logs,
    );

  /** `/ip4/<host ip>/tcp/4001/p2p/<peer id>` of node `n`, known before it starts (`concord node keys`). */
  const multiaddr = (n: NodeName) => `/ip4/${lab.host(n).ip}/tcp/${P2P_PORT}/p2p/${keys.get(n)!.peerId}`;

  /** Starts anvil in the chain namespace with `concord chain up --host`; returns the RPC URL on the namespace's address. */
  async function chainUp(): Promise<string> {
    const { ip } = lab.host('chain');
    await concordJson(
      ['chain', 'up', '--dir', join(dir, 'chain'), '--port', String(RPC_PORT), '--host', ip],
      {
        prefix: lab.prefix('chain'),
      },
    );
    const url = `http://${ip}:${RPC_PORT}`;
    await waitFor(
      'the chain on its namespace address',
      async () => ((await answersChainId(url)) ? true : undefined),
      10_000,
      logs,
    );
    return url;
  }

  /** Starts node `n` in its namespace, listening and serving its API on the namespace's address. */
  async function startNode(n: NodeName): Promise<void> {
    const { ip } = lab.host(n);
    const args = [
      ...['--contracts', deploymentFile(), '--data', dataDir(n)],
      ...['--listen', `/ip4/${ip}/tcp/${P2P_PORT}`, '--api', String(API_PORT), '--api-host', ip],
      ...['--poll-ms', '200', '--redial-max-seconds', '4', ...SERVING],
      ...NODES.filter((m) => m !== n).flatMap((m) => ['--bootstrap', multiaddr(m)]),
    ];
    const env = { ...process.env, DEBUG: LIBP2P_RECONNECT_LOG };
    nodes.set(n, await spawnNodeIn(lab.prefix(n), args, dataDir(n), START_TIMEOUT_MS, env));
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'concord-multihost-'));
    lab = NetnsLab.create(['chain', ...NODES]);
    lap('namespaces');
    writeFileSync(deployerKey(), devAccount(0).privateKey, { mode: 0o600 });
    // Each operator makes its node's keys first: the address to fund, the peer id others bootstrap from.
    const made = Promise.all(
      NODES.map(async (n) => {
        mkdirSync(dataDir(n), { recursive: true });
        keys.set(n, await concordJson(['node', 'keys', '--data', dataDir(n)]));
      }),
    );
    rpcUrl = await chainUp();
    lap('chain up');
    await concordJson([
      'chain',
      'deploy',
      '--rpc',
      rpcUrl,
      '--key',
      deployerKey(),
      '--out',
      deploymentFile(),
    ]);
    assert.equal(readDeployment(deploymentFile()).rpcUrl, rpcUrl);
    await made;
    lap('chain deploy, node keys');
    // Fund each node's account and start it while the next one is funded (one sender: one at a time).
    const started: Promise<void>[] = [];
    for (const n of NODES) {
      await concordJson(['fund', keys.get(n)!.address, '--eth', '1', '--ccd', '500', ...chainFlags()]);
      started.push(startNode(n));
    }
    await Promise.all(started);
    lap('fund, node start');
    // The model's owner (here the deployer) brings the shipped checkpoint to the network through n1.
    const created = await concordJson<{ modelId: string; digest: string }>([
      ...['model', 'create', SHIPPED_CHECKPOINT, '--name', SHIPPED_MODEL_NAME, '--key', deployerKey()],
      ...['--node', apiUrl('n1'), '--token-file', tokenFile('n1'), ...chainFlags()],
    ]);
    modelId = created.modelId;
    assert.equal(created.digest, modelDigest(checkpointOpening(readFileSync(SHIPPED_CHECKPOINT))));
    lap('model registered');
  });

  after(async () => {
    console.log(`multihost timings: ${timings.join(', ')}`);
    try {
      await Promise.all([...nodes.values()].map((p) => p.stop()));
      if (lab !== undefined) await concord(['chain', 'down', '--dir', join(dir, 'chain')]);
    } finally {
      lab?.destroy();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'connects the four nodes to each other over their namespace addresses',
    withLogs(async () => {
      await Promise.all(
        NODES.map((n) =>
          waitFor(
            `${n} connected to the three others`,
            async () => {
              const peers = await peersOf(n);
              const others = NODES.filter((m) => m !== n).map((m) => keys.get(m)!.peerId);
              return peers && others.every((p) => peers.has(p)) ? true : undefined;
            },
            20_000,
            logs,
          ),
        ),
      );
      for (const n of NODES) {
        assert.ok(
          node(n).info.multiaddrs.some((m) => m.startsWith(`/ip4/${lab.host(n).ip}/tcp/${P2P_PORT}`)),
          `${n} listens on its namespace address: ${node(n).info.multiaddrs.join(' ')}`,
        );
      }
      lap('peers connected');
    }),
  );

  it(
    'settles a task created through one node with the result every node computes',
    withLogs(async () => {
      const rows = 6;
      const cols = 10;
      const matrix = encodeTensor({
        dtype: 'f32',
        shape: [rows, cols],
        data: new Float32Array(rows * cols).map((_, i) => ((i * 7) % 17) / 17 - 0.5),
      });
      const vector = encodeTensor({
        dtype: 'f32',
        shape: [cols],
        data: new Float32Array(cols).map((_, i) => ((i + 3) % 7) / 7 - 0.5),
      });
      writeFileSync(join(dir, 'matrix.bin'), matrix);
      writeFileSync(join(dir, 'vector.bin'), vector);
      const spec = {
        kind: 'matvec',
        kernel: KERNEL_VERSION,
        matrix: 'file:matrix.bin',
        vector: 'file:vector.bin',
      };
      writeFileSync(join(dir, 'task.json'), JSON.stringify(spec));
      const local = new MemoryBlobs();
      const localSpec = { ...spec, matrix: local.put(matrix), vector: local.put(vector) };
      const honest = digestBytes(await matvecKind.run(matvecKind.parseSpec(localSpec), local.context()));

      const created = await concordJson<{ taskId: string }>([
        ...['task', 'create', '--kind', 'matvec', '--spec', join(dir, 'task.json')],
        ...['--participants', '4', '--quorum', '3', '--commit-seconds', '60', '--reveal-seconds', '60'],
        ...['--node', apiUrl('n1'), '--token-file', tokenFile('n1')],
      ]);
      await waitForTaskEnd(apiUrl('n1'), created.taskId, 600);
      // Any node tells the same story: ask another host than the one the task was created on.
      const shown = await concordJson<TaskJson>(['task', 'show', created.taskId, '--node', apiUrl('n3')]);
      assert.equal(shown.state, 'finalized');
      assert.equal(shown.winner, honest);
      assert.ok(shown.payouts.length >= 3, `a quorum was paid: ${JSON.stringify(shown.payouts)}`);
      lap('task settled');
    }),
  );

  /** The fault-free answer, to compare the faulted one with. */
  let reference: AskResult | undefined;

  it(
    'answers a prompt through n1, bit for bit as local generation',
    withLogs(async () => {
      // Credits are paid to share holders: the task above minted the first shares.
      await concordJson(['credits', 'buy', '1000', '--key', deployerKey(), ...chainFlags()]);
      await Promise.all(NODES.map((n) => servedBy(n)));
      lap('credits, model served');
      reference = await concordJson<AskResult>(askArgs());
      lap('ask');
      const { params, metadata } = readCheckpoint(readFileSync(SHIPPED_CHECKPOINT));
      const tokenizer = tokenizerFromMetadata(metadata, params.config.vocabSize);
      const tokens = await localPlanTokens(
        params,
        { shardsPerMatrix: SHARDS_PER_MATRIX },
        tokenizer.encode(PROMPT),
        {
          ...SAMPLING,
          maxNewTokens: MAX_TOKENS,
        },
      );
      assert.equal(reference.text, tokenizer.decode(tokens));
      assert.equal(reference.tokens, MAX_TOKENS);
      assert.equal(reference.finishReason, 'length');
      assert.ok(reference.settlement, `settled: ${reference.settlementError}`);
    }),
  );

  const askArgs = () => [
    ...['ask', PROMPT, '--model', SHIPPED_MODEL_NAME, ...ASK_FLAGS],
    ...['--node', apiUrl('n1'), '--key', deployerKey(), ...chainFlags()],
  ];

  it(
    `finishes an answer bit-identically when ${CUT}'s link goes down in the middle of it`,
    withLogs(async () => {
      assert.ok(reference, 'the fault-free answer of the test before');
      const served = (await new NodeClient(apiUrl('n1')).models()).find((m) => m.id === SHIPPED_MODEL_NAME);
      const cutAddress = keys.get(CUT)!.address.toLowerCase();
      assert.ok(
        served?.concord.hosts.some((h) => h.toLowerCase() === cutAddress),
        `${CUT} hosts shards of the served plan`,
      );
      let cut = false;
      const run = await concord(askArgs(), {
        onStdout: () => {
          if (cut) return;
          cut = true; // the first streamed text: the answer is under way
          lab.setLink(CUT, false);
        },
      });
      lap('ask with a link down');
      assert.ok(cut, 'the link went down while the answer streamed');
      assert.equal(run.code, 0, `concord ask failed:\n${run.stderr}`);
      assert.equal(run.stdout.replace(/\n$/, ''), reference.text);
      const summary = run.stderr.trim().split('\n').at(-1) ?? '';
      assert.match(summary, new RegExp(`^\\[${reference.tokens} tokens, length;`), summary);
      assert.doesNotMatch(summary, /slashed/, 'a host that cannot be reached is not slashed');
    }),
  );

  it(
    `reconnects ${CUT} after a partition that outlasts libp2p's own reconnection, without a restart`,
    withLogs(async () => {
      lab.setLink(CUT, false); // still down since the answer above, unless that test failed early
      const others = NODES.filter((n) => n !== CUT);
      const peerId = (n: NodeName) => keys.get(n)!.peerId;
      const logged = (n: NodeName, text: string) => node(n).output.some((line) => line.includes(text));
      await waitFor(
        `the others to drop ${CUT} and libp2p on every side to give up reconnecting`,
        async () => {
          const gaveUp =
            others.every((n) => logged(n, gaveUpOn(peerId(CUT)))) &&
            others.every((n) => logged(CUT, gaveUpOn(peerId(n))));
          if (!gaveUp) return undefined;
          const seen = await Promise.all(others.map(peersOf));
          return seen.every((p) => p !== undefined && !p.has(peerId(CUT))) ? true : undefined;
        },
        120_000,
        logs,
      );
      lap('partitioned');
      lab.setLink(CUT, true);
      const pid = node(CUT).child.pid;
      await waitFor(
        `${CUT} to reconnect to the others`,
        async () => {
          const peers = await peersOf(CUT);
          return peers && others.every((n) => peers.has(peerId(n))) ? true : undefined;
        },
        20_000,
        logs,
      );
      assert.equal(node(CUT).child.pid, pid);
      assert.equal(node(CUT).child.exitCode, null, `${CUT} was not restarted`);
      lap('healed');
    }),
  );

  it(
    'trains one round with `concord train` across the hosts, and every node serves the new version',
    withLogs(async () => {
      const data = join(dir, 'train.txt');
      writeFileSync(data, readFileSync(new URL('../../README.md', import.meta.url), 'utf8').repeat(4));
      const trained = await concordJson<{ trained: { version: string; digest: string }[] }>([
        ...['train', '--model', modelId, '--checkpoint', SHIPPED_CHECKPOINT, '--data', data],
        ...['--rounds', '1', '--tasks', '2', '--participants', '3', '--key', deployerKey()],
        ...[
          '--state',
          join(dir, 'train-state.json'),
          '--node',
          apiUrl('n1'),
          '--token-file',
          tokenFile('n1'),
        ],
        ...chainFlags(),
      ]);
      assert.equal(trained.trained.length, 1);
      assert.equal(trained.trained[0]?.version, '1');
      lap('trained');
      await Promise.all(NODES.map((n) => servedBy(n, '1')));
      lap('version 1 served');
    }),
  );
});
