import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRunning } from '../../src/chain/anvil.ts';
import { encodeTensor } from '../../src/core/codec.ts';
import { type DevnetState, devnetLayout, readDevnetState } from '../../src/devnet/layout.ts';
import { KERNEL_VERSION } from '../../src/tensor/index.ts';
import { concord, concordJson, repoRoot, type TaskJson, waitForTaskEnd } from './concordCli.ts';

// `concord devnet` for real: anvil and three `concord node start` processes on 127.0.0.1.
let tmp: string;
let dir: string;
let state: DevnetState;

type DevnetJson = {
  upSeconds: number;
  nodes: { address: string; apiUrl: string; stake: string; shares: string }[];
  demo: {
    taskId: string;
    state: string;
    winner: string | null;
    payouts: { account: string; amount: string }[];
  };
};

const allPids = (s: DevnetState) => [s.anvilPid, ...s.nodes.map((n) => n.pid)];

describe('concord devnet --nodes 3 --detach', { timeout: 300_000 }, () => {
  let up: DevnetJson;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'concord-devnet-'));
    dir = join(tmp, 'net');
    up = await concordJson<DevnetJson>(['devnet', '--nodes', '3', '--detach', '--dir', dir]);
    state = readDevnetState(devnetLayout(dir));
  });

  after(async () => {
    await concord(['devnet', 'down', '--dir', dir]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('comes up with three staked nodes and finalizes the demo task with a winner and payouts', () => {
    assert.equal(up.nodes.length, 3);
    for (const n of up.nodes) assert.ok(BigInt(n.stake) > 0n, `node ${n.address} is staked`);
    assert.equal(up.demo.state, 'finalized');
    assert.match(up.demo.winner ?? '', /^0x[0-9a-f]{64}$/);
    assert.ok(up.demo.payouts.length >= 2, 'at least the quorum was paid');
    for (const p of up.demo.payouts) assert.ok(BigInt(p.amount) > 0n);
    assert.ok(allPids(state).every(isRunning));
  });

  it('task show and task list report the finalized demo task', async () => {
    const [shown, list] = await Promise.all([
      concordJson<TaskJson>(['task', 'show', up.demo.taskId, '--dir', dir]),
      concordJson<{ tasks: TaskJson[] }>(['task', 'list', '--state', 'finalized', '--dir', dir]),
    ]);
    assert.equal(shown.state, 'finalized');
    assert.equal(shown.winner, up.demo.winner);
    assert.ok(list.tasks.some((t) => t.id === up.demo.taskId));
  });

  it('balance and shares read every node from the chain; winners hold shares', async () => {
    const [balances, shares, one] = await Promise.all([
      concordJson<{ address: string; balance: string; stake: string }[]>(['balance', '--dir', dir]),
      concordJson<{ address: string; shares: string }[]>(['shares', '--task', up.demo.taskId, '--dir', dir]),
      concordJson<{ address: string }[]>(['balance', state.nodes[1]!.address, '--dir', dir]),
    ]);
    assert.deepEqual(
      balances.map((b) => b.address),
      state.nodes.map((n) => n.address),
    );
    const winners = new Set(up.demo.payouts.map((p) => p.account));
    for (const s of shares) assert.equal(BigInt(s.shares) > 0n, winners.has(s.address), s.address);
    assert.equal(one.length, 1);
  });

  it('task create uploads file: inputs, and the nodes finalize the new task', async () => {
    const w = new Float32Array(12).map((_, i) => i / 12 - 0.5);
    const x = new Float32Array(4).map((_, i) => 0.25 * i);
    writeFileSync(join(tmp, 'w.cct'), encodeTensor({ dtype: 'f32', shape: [3, 4], data: w }));
    writeFileSync(join(tmp, 'x.cct'), encodeTensor({ dtype: 'f32', shape: [4], data: x }));
    const specFile = join(tmp, 'spec.json');
    writeFileSync(
      specFile,
      JSON.stringify({ kernel: KERNEL_VERSION, matrix: 'file:w.cct', vector: 'file:x.cct' }),
    );
    const created = await concordJson<{ taskId: string }>([
      'task',
      'create',
      '--kind',
      'matvec',
      '--spec',
      specFile,
      '--participants',
      '3',
      '--dir',
      dir,
    ]);
    // Poll the node's API directly (a CLI process per poll would be slow), then check through the CLI once.
    await waitForTaskEnd(state.nodes[0]!.apiUrl, created.taskId);
    const shown = await concordJson<TaskJson>(['task', 'show', created.taskId, '--dir', dir]);
    assert.equal(shown.state, 'finalized');
    assert.ok(shown.payouts.length >= 2);
  });

  it('errors say what to do: bad flags exit 2, a missing devnet is named', async () => {
    const [bad, none, badAddress] = await Promise.all([
      concord(['devnet', '--nodes', '0']),
      concord(['task', 'list', '--dir', join(tmp, 'nothing-here')]),
      concord(['balance', '0x1234', '--dir', dir]),
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /UsageError: --nodes must be an integer 1\.\.9/);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /DevnetNotFoundError/);
    assert.equal(badAddress.code, 1);
    assert.match(badAddress.stderr, /InvalidAddressError/);
  });

  it('devnet down stops every node and anvil, and a second start resumes the chain', async () => {
    const down = await concordJson<{ nodes: number; chain: boolean }>(['devnet', 'down', '--dir', dir]);
    assert.deepEqual(down, { nodes: 3, chain: true });
    assert.deepEqual(allPids(state).filter(isRunning), []);
    // Resume with node 0 only (quicker): it won the demo task, and its shares must survive the restart.
    const again = await concordJson<DevnetJson>([
      'devnet',
      '--nodes',
      '1',
      '--detach',
      '--no-demo',
      '--dir',
      dir,
    ]);
    const node0 = state.nodes[0]!.address;
    assert.ok(up.demo.payouts.some((p) => p.account === node0));
    assert.equal(again.nodes[0]?.address, node0);
    // At least the demo task's shares (the task-create test may have added more).
    assert.ok(
      BigInt(again.nodes[0]?.shares ?? 0) >= BigInt(up.nodes[0]?.shares ?? 1) &&
        BigInt(up.nodes[0]?.shares ?? 0) > 0n,
    );
    const resumed = readDevnetState(devnetLayout(dir));
    await concord(['devnet', 'down', '--dir', dir]);
    assert.deepEqual(allPids(resumed).filter(isRunning), []);
  });
});

describe('concord devnet in the foreground', { timeout: 180_000 }, () => {
  it('Ctrl-C (SIGINT) stops the nodes and anvil and exits 0', async () => {
    const fg = mkdtempSync(join(tmpdir(), 'concord-devnet-fg-'));
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin/concord.mjs'), 'devnet', '--nodes', '1', '--no-demo', '--dir', fg],
      { cwd: repoRoot },
    );
    let out = '';
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const serving = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('serving;')) resolve();
      }),
    );
    const exited = new Promise<string>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? String(code))),
    );
    await Promise.race([serving, exited]);
    const running = readDevnetState(devnetLayout(fg));
    assert.ok(allPids(running).every(isRunning), out);
    child.kill('SIGINT');
    assert.equal(await exited, '0', out);
    assert.deepEqual(allPids(running).filter(isRunning), []);
    rmSync(fg, { recursive: true, force: true });
  });
});
