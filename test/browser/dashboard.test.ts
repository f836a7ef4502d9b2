import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { parseEther } from 'viem';
import { createConcordContext } from '../../src/chain/context.ts';
import { readDeployment } from '../../src/chain/deployment.ts';
import { devAccount } from '../../src/chain/devAccounts.ts';
import { type DevnetState, devnetLayout, readDevnetState } from '../../src/client/layout.ts';
import { NodeClient } from '../../src/client/nodeClient.ts';
import { encodeTensor } from '../../src/core/codec.ts';
import { ensureCredits, waitForModelReady } from '../../src/devnet/askDemo.ts';
import { ensureGenesisModel } from '../../src/devnet/genesis.ts';
import { histogramOf, parsePrometheusText, sampleOf } from '../../src/node/testing/prometheusText.ts';
import { KERNEL_VERSION } from '../../src/tensor/index.ts';
import type { DashboardSnapshot } from '../../src/web/snapshot.ts';
import { concord, concordJson, repoRoot } from '../devnet/concordCli.ts';

// A real devnet (anvil and three `concord node start` processes), node 0's
// dashboard in Debian's headless Chromium, driven through playwright-core.
const CHROMIUM = process.env.CONCORD_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = join(repoRoot, 'test-results', 'screenshots');
const NODES = 3;

let tmp: string;
let dir: string;
let state: DevnetState;
let node0: NodeClient;
let token: string;
let browser: Browser;
let page: Page;

/** Reads the first `snapshot` event of the node's `/v1/events`, as the page gets it. */
async function firstSnapshot(apiUrl: string): Promise<DashboardSnapshot> {
  const res = await fetch(`${apiUrl}/v1/events`, { signal: AbortSignal.timeout(30_000) });
  const reader = res.body!.getReader();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) assert.fail(`${apiUrl}/v1/events ended without a snapshot`);
    text += Buffer.from(value).toString();
    const data = /event: snapshot\ndata: (.*)\n\n/.exec(text)?.[1];
    if (data !== undefined) {
      await reader.cancel();
      return JSON.parse(data) as DashboardSnapshot;
    }
  }
}

/** A chain client of the devnet as dev account `i` (0 is the deployer, i + 1 is node i's key). */
async function connect(i: number) {
  const deployment = readDeployment(state.deploymentFile);
  return await createConcordContext({
    rpcUrl: state.rpcUrl,
    privateKey: devAccount(i).privateKey,
    deployment,
  });
}

/** Creates a small `matvec` task through node 0's API with every node in the committee; returns its id. */
async function createMatvecTask(commitSeconds: number): Promise<string> {
  const w = new Float32Array(8 * 16).map((_, i) => ((i * 7) % 23) / 23 - 0.5);
  const x = new Float32Array(16).map((_, i) => (i % 7) / 7 - 0.5);
  const spec = {
    kind: 'matvec',
    kernel: KERNEL_VERSION,
    matrix: await node0.putBlob(encodeTensor({ dtype: 'f32', shape: [8, 16], data: w })),
    vector: await node0.putBlob(encodeTensor({ dtype: 'f32', shape: [16], data: x })),
  };
  const created = await node0.createTask({
    spec,
    baseReward: parseEther('1').toString(),
    growthBps: 1000,
    bond: parseEther('1').toString(),
    stakeSlash: parseEther('10').toString(),
    maxParticipants: NODES,
    quorum: 2,
    committeeSize: NODES,
    commitSeconds,
    revealSeconds: 120,
  });
  return created.taskId;
}

/**
 * Waits until every node serves `name` version 0 (node 0's gateway needs every host's shards). A node
 * whose first checkpoint fetch is refused (peers that have not seen the version yet) stays `loading`
 * and retries at its next registry read.
 */
async function servedEverywhere(name: string, timeoutMs: number) {
  return await Promise.all(
    state.nodes.map((n) => waitForModelReady(new NodeClient(n.apiUrl), name, 0n, timeoutMs)),
  );
}

/** Waits for `selector`; on timeout fails with what the playground's result line says instead. */
async function playgroundReaches(selector: string, timeout: number): Promise<void> {
  try {
    await page.waitForSelector(selector, { timeout });
  } catch (err) {
    await screenshot('playground-failed');
    assert.fail(
      `${selector} not shown in ${timeout} ms; the playground says: ${await page.textContent('#pg-result')} (${String(err)})`,
    );
  }
}

/**
 * Node 0's `GET /v1/peers` ids, checking each is listed once, never the node itself, and that
 * exactly the other nodes are marked `node` (the rest are their gateway hosts).
 */
async function peerIds(): Promise<string[]> {
  const res = await fetch(`${state.nodes[0]!.apiUrl}/v1/peers`);
  const peers = ((await res.json()) as { peers: { peerId: string; node: boolean }[] }).peers;
  const ids = peers.map((p) => p.peerId);
  assert.equal(new Set(ids).size, ids.length, `a peer listed twice: ${ids.join(' ')}`);
  assert.ok(!ids.includes(state.nodes[0]!.peerId), 'the node lists itself as a peer');
  const others = new Set(state.nodes.slice(1).map((n) => n.peerId));
  for (const p of peers) assert.equal(p.node, others.has(p.peerId), `${p.peerId} marked node: ${p.node}`);
  return ids;
}

/** The count of nodes in the page's "Peers (n nodes connected, m other)" heading. */
async function shownPeerCount(): Promise<number> {
  const match = /Peers \((\d+) nodes? connected/.exec((await page.textContent('#network')) ?? '');
  assert.ok(match, 'the network section has a Peers heading');
  return Number(match[1]);
}

const screenshot = (name: string) =>
  page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM} (apt-get install chromium, as .ci/run does)`;

describe('the dashboard of a running devnet, in Chromium', { timeout: 600_000, skip }, () => {
  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const built = spawnSync(process.execPath, [join(repoRoot, 'scripts/build/web.mjs')], {
      encoding: 'utf8',
    });
    assert.equal(built.status, 0, built.stderr);
    tmp = mkdtempSync(join(tmpdir(), 'concord-browser-'));
    dir = join(tmp, 'net');
    await concordJson(['devnet', '--nodes', String(NODES), '--detach', '--no-demo', '--dir', dir]);
    state = readDevnetState(devnetLayout(dir));
    token = readFileSync(join(devnetLayout(dir).nodeDir(0), 'api-token'), 'utf8').trim();
    node0 = new NodeClient(state.nodes[0]!.apiUrl, token);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      timeout: 60_000,
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(60_000);
    await page.goto(`${state.nodes[0]!.apiUrl}/`);
  });

  after(async () => {
    await browser?.close();
    if (dir) await concord(['devnet', 'down', '--dir', dir]);
    // The node logs stay beside the screenshots, for a failure in CI.
    for (const n of state?.nodes ?? []) {
      const log = devnetLayout(dir).logFile(n.index);
      if (existsSync(log)) copyFileSync(log, join(SCREENSHOTS, `node${n.index}.log`));
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('shows the network: this node with its address and chain, and the other nodes as peers', async () => {
    await page.waitForSelector('#status:has-text("live")');
    // Node 0 is everyone's bootstrap peer, so it is connected to every other node.
    const others = JSON.stringify(state.nodes.slice(1).map((n) => n.peerId));
    await page.waitForFunction(
      `${others}.every((id) => document.getElementById('network')?.textContent.includes(id))`,
    );
    const network = await page.textContent('#network');
    assert.ok(network?.includes(state.nodes[0]!.address), 'the node shows its own address');
    assert.match(network ?? '', new RegExp(`chain ${state.chainId} at block \\d+`));
    // No model is served yet, so no gateway host runs: the peers are exactly the other nodes.
    assert.deepEqual(
      (await peerIds()).sort(),
      state.nodes
        .slice(1)
        .map((n) => n.peerId)
        .sort(),
    );
    assert.equal(await shownPeerCount(), NODES - 1);
    await screenshot('network');
  });

  it('shows a task created through the API change state until it is finalized with payouts', async (t) => {
    // Record every state the page shows for every task row (each snapshot re-renders the view).
    await page.evaluate(`(() => {
      window.__rows = [];
      const record = () => {
        for (const el of document.querySelectorAll('#tasks [data-task]')) {
          const id = el.getAttribute('data-task');
          const line = [id, el.textContent,
            document.querySelector('[data-commits="' + id + '"]')?.textContent,
            document.querySelector('[data-reveals="' + id + '"]')?.textContent].join(' ');
          if (!window.__rows.includes(line)) window.__rows.push(line);
        }
      };
      new MutationObserver(record).observe(document.getElementById('view'), { childList: true, subtree: true });
    })()`);
    // The last node is paused, so the task waits in `committing` with two of three commits until the
    // commit deadline (the page refreshes every second and would otherwise miss the short phases).
    // 30 s: with Chromium, three nodes, anvil and another test file on two cores, a 10 s window
    // sometimes closed before the nodes had fetched and computed.
    const paused = state.nodes[NODES - 1]!.pid;
    process.kill(paused, 'SIGSTOP');
    let taskId: string;
    try {
      taskId = await createMatvecTask(30);
      await page.waitForSelector(`#tasks span.state:is(.finalized, .failed)[data-task="${taskId}"]`, {
        timeout: 180_000,
      });
    } finally {
      process.kill(paused, 'SIGCONT');
    }
    const rows = ((await page.evaluate('window.__rows')) as string[])
      .filter((r) => r.startsWith(`${taskId} `))
      .map((r) => r.split(' ').slice(1));
    t.diagnostic(`task ${taskId} as the page showed it: ${rows.map((r) => r.join(' ')).join(' → ')}`);
    const order = ['committing', 'revealing', 'finalizable', 'finalized'];
    const states = rows.map(([s]) => order.indexOf(s ?? ''));
    const nodeLogs = () =>
      Array.from({ length: NODES }, (_, i) => {
        const lines = readFileSync(devnetLayout(dir).logFile(i), 'utf8').trimEnd().split('\n');
        return `--- node${i}\n${lines.slice(-20).join('\n')}`;
      }).join('\n');
    assert.ok(
      states.every((s) => s >= 0),
      `known states: ${JSON.stringify(rows)}\n${JSON.stringify(await node0.task(taskId))}\n${nodeLogs()}`,
    );
    assert.deepEqual(
      states,
      [...states].sort((a, b) => a - b),
      `states only move forward: ${JSON.stringify(rows)}`,
    );
    const committed = `${NODES - 1}/${NODES}`;
    assert.ok(
      rows.some(([s, commits]) => s === 'committing' && commits === committed),
      `the page showed the commits before the reveals: ${JSON.stringify(rows)}`,
    );
    assert.deepEqual(rows.at(-1), ['finalized', committed, committed]);
    const row = await page.textContent(`#tasks tr:has(span[data-task="${taskId}"])`);
    assert.match(row ?? '', /revealed 0x[0-9a-f]{8}… ✓ \+\d/, 'winners are shown with their payout');
    await screenshot('task-finalized');
  });

  it('streams a prompt in the playground, with the hosts behind each token and the settlement', async (t) => {
    const genesis = await ensureGenesisModel(await connect(0), node0);
    const [model] = await servedEverywhere('concord-char', 240_000);
    const maxTokens = 12;
    // Node 0 pays for its own prompt (the API token makes it the querier): dev account 1 is its key.
    await ensureCredits(await connect(1), BigInt(model!.concord.creditsPerToken) * BigInt(maxTokens));
    await page.waitForSelector('#pg-model option[value="concord-char"]:not([disabled])', {
      state: 'attached',
      timeout: 30_000,
    });
    // Without the API token the node refuses, and the page says why.
    await page.fill('#pg-token', '');
    await page.click('#pg-run');
    await page.waitForSelector('#pg-result:has-text("refused: QUERIER_SIGNATURE_REQUIRED")', {
      timeout: 30_000,
    });
    await page.fill('#pg-token', token);
    await page.selectOption('#pg-model', 'concord-char');
    await page.fill('#pg-prompt', 'The state of the Union is');
    await page.fill('#pg-max', String(maxTokens));
    await page.click('#pg-run');
    await playgroundReaches('#pg-answer .tok', 120_000);
    await screenshot('playground-streaming');
    await playgroundReaches('#pg-result:has-text("tokens (")', 240_000);
    const result = (await page.textContent('#pg-result')) ?? '';
    const tokens = await page.$$eval('#pg-answer .tok', (els) => els.length);
    assert.ok(tokens >= 1 && tokens <= maxTokens, `${tokens} tokens`);
    assert.match(result, new RegExp(`^${tokens} tokens \\((length|stop)\\)`), result);
    assert.match(result, /settled: \d+ credits, tx 0x[0-9a-f]{6}…/, result);
    // Every token names the hosts that agreed on its partial products; no node lies here, so none is outvoted.
    const hosts = await page.$$eval('#pg-hosts tr', (trs) =>
      trs.map((tr) => [
        tr.querySelectorAll('code.agreed').length,
        tr.querySelectorAll('code.outvoted').length,
      ]),
    );
    assert.equal(hosts.length, tokens);
    for (const [agreed, outvoted] of hosts) {
      assert.ok((agreed ?? 0) >= 1);
      assert.equal(outvoted, 0);
    }
    assert.ok(genesis.modelId > 0n);
    await screenshot('playground-settled');
    // Node 0's /metrics, a valid exposition, counted the answer: its latency histograms and tokens.
    const families = parsePrometheusText(await (await fetch(`${state.nodes[0]!.apiUrl}/metrics`)).text());
    assert.ok((histogramOf(families, 'concord_inference_time_to_first_token_seconds')?.count ?? 0) >= 1);
    assert.ok((histogramOf(families, 'concord_inference_token_seconds')?.count ?? 0) >= tokens - 1);
    assert.ok((sampleOf(families, 'concord_inference_tokens_total') ?? 0) >= tokens);
    assert.ok((sampleOf(families, 'concord_inference_sessions_completed_total') ?? 0) >= 1);
    // Every node now runs a gateway host: node 0 lists the other nodes and at most their gateways, never its own.
    const ids = await peerIds();
    t.diagnostic(`node 0's peers with every node serving: ${ids.length}`);
    assert.ok(ids.length >= NODES - 1 && ids.length <= 2 * (NODES - 1), ids.join(' '));
    const gauge = sampleOf(families, 'concord_peers_connected') ?? 0;
    assert.ok(gauge >= NODES - 1 && gauge <= 2 * (NODES - 1), `concord_peers_connected ${gauge}`);
    // The heading counts the other nodes apart from their gateway hosts.
    await page.waitForFunction(
      `(() => {
        const m = /Peers \\((\\d+) nodes? connected/.exec(document.getElementById('network')?.textContent ?? '');
        return m !== null && Number(m[1]) === ${NODES - 1};
      })()`,
      undefined,
      { timeout: 15_000 },
    );
  });

  it('shows the registry model with its held-out loss, and credits per address', async (t) => {
    const snapshot = await firstSnapshot(state.nodes[0]!.apiUrl);
    if (snapshot.holdings.every((h) => h.credits === null)) {
      t.skip(
        'the node mounts the dashboard without its chain reads (nodeDashboardDeps not wired in node start)',
      );
      return;
    }
    await ensureGenesisModel(await connect(0), node0);
    await page.waitForSelector('#models .model h3:has-text("concord-char")', { timeout: 60_000 });
    await page.waitForSelector('#models svg.loss-chart circle', { timeout: 120_000 });
    const models = (await page.textContent('#models')) ?? '';
    assert.match(models, /v0.*genesis.*\d\.\d{3} \(\d+ tokens\)/s);
    const credits = await page.$$eval('#ownership tbody tr', (trs) =>
      trs.map((tr) => tr.lastElementChild?.textContent),
    );
    assert.ok(
      credits.length >= NODES && credits.every((c) => /^\d+$/.test(c ?? '')),
      JSON.stringify(credits),
    );
    await screenshot('models');
  });

  it('fits a 390 px wide screen: nothing overflows sideways (tables scroll inside their box)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
      await screenshot('narrow-390');
      assert.ok(width <= 390, `the page is ${width} px wide at 390 px`);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });
});
