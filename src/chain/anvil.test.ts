import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { answersChainId, devAccount, freePort, isRunning, resolveAnvilBinary, startAnvil } from './anvil.ts';

test('devAccount(0) and (1) are the well-known anvil accounts', () => {
  assert.equal(devAccount(0).address, '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
  assert.equal(
    devAccount(0).privateKey,
    '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  );
  assert.equal(devAccount(1).address, '0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
});

test('devAccount rejects a negative index', () => {
  assert.throws(
    () => devAccount(-1),
    (err: Error) => err.name === 'DevAccountIndexError',
  );
});

test('resolveAnvilBinary finds the platform binary', () => {
  assert.match(resolveAnvilBinary(), /anvil(\.exe)?$/);
});

test('startAnvil answers eth_chainId with the requested chain id and stops', async () => {
  const anvil = await startAnvil({ chainId: 4242 });
  try {
    const res = await fetch(anvil.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    assert.equal(((await res.json()) as { result: string }).result, '0x1092');
  } finally {
    await anvil.stop();
  }
  assert.equal(isRunning(anvil.pid), false);
  assert.equal(await answersChainId(anvil.rpcUrl, 300), false);
});

test('startAnvil on a taken port fails with AnvilStartError', async () => {
  const first = await startAnvil();
  try {
    await assert.rejects(
      startAnvil({ port: first.port, startTimeoutMs: 5000 }),
      (err: Error) => err.name === 'AnvilStartError',
    );
  } finally {
    await first.stop();
  }
});

test('a dataDir keeps chain state across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'concord-anvil-'));
  try {
    const rpc = async (url: string, method: string, params: unknown[]) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      });
      return ((await res.json()) as { result: string }).result;
    };
    const a = await startAnvil({ dataDir: dir });
    await rpc(a.rpcUrl, 'anvil_mine', ['0x7']);
    await a.stop();
    const b = await startAnvil({ dataDir: dir });
    try {
      assert.equal(BigInt(await rpc(b.rpcUrl, 'eth_blockNumber', [])), 7n);
    } finally {
      await b.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an anvil that exits at start is AnvilStartError with its output', async () => {
  await assert.rejects(startAnvil({ chainId: -5, startTimeoutMs: 10_000 }), (err: Error) => {
    assert.equal(err.name, 'AnvilStartError');
    assert.match((err as unknown as { details: string }).details, /chain-id|invalid|error/i);
    return true;
  });
});

test('two processes racing for one port: exactly one starts, the other never adopts its node', async () => {
  const module = new URL('./anvil.ts', import.meta.url).href;
  // Each child starts anvil on the port and holds it briefly, printing whether it won.
  const script = `const { startAnvil } = await import(${JSON.stringify(module)});
    try { const a = await startAnvil({ port: Number(process.argv[1]), startTimeoutMs: 5000 });
      console.log('won'); await new Promise((r) => setTimeout(r, 2000)); await a.stop();
    } catch { console.log('lost'); }`;
  const race = (port: number) =>
    new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
        String(port),
      ]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.on('exit', () => resolve(out.trim()));
    });
  for (let round = 0; round < 3; round++) {
    const port = await freePort();
    const outcomes = (await Promise.all([race(port), race(port)])).sort();
    assert.deepEqual(outcomes, ['lost', 'won'], `round ${round}`);
  }
});
