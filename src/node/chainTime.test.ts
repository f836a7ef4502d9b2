import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type AnvilInstance, startAnvil } from '../chain/anvil.ts';
import { createConcordClients } from '../chain/client.ts';
import { devAccount } from '../chain/devAccounts.ts';
import { cachedChainNow, chainNow } from './chainTime.ts';

type Rpc = { id: number; method: string; params?: unknown[] };

let anvil: AnvilInstance;
let proxy: Server;
let proxyUrl: string;
/** How the proxy answers `eth_getBlockByNumber('pending')`: like anvil, with null, or with an error. */
let pendingMode: 'forward' | 'null' | 'error' = 'forward';
const asked: string[] = [];

/** Answers one JSON-RPC call: `pending` as `pendingMode` says, everything else from anvil. */
async function answer(rpc: Rpc): Promise<unknown> {
  const pending = rpc.method === 'eth_getBlockByNumber' && rpc.params?.[0] === 'pending';
  asked.push(pending ? 'pending' : rpc.method);
  if (pending && pendingMode === 'null') return { jsonrpc: '2.0', id: rpc.id, result: null };
  if (pending && pendingMode === 'error') {
    return { jsonrpc: '2.0', id: rpc.id, error: { code: -32602, message: 'pending block not supported' } };
  }
  const upstream = await fetch(anvil.rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rpc),
  });
  return await upstream.json();
}

/** A JSON-RPC endpoint (batches too) in front of anvil that answers `pending` like a provider that lacks it. */
async function startProxy(): Promise<void> {
  proxy = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', async () => {
      const parsed = JSON.parse(body) as Rpc | Rpc[];
      const reply = Array.isArray(parsed) ? await Promise.all(parsed.map(answer)) : await answer(parsed);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

const clientOf = async (url: string) =>
  await createConcordClients({ rpcUrl: url, privateKey: devAccount(0).privateKey });

before(async () => {
  anvil = await startAnvil();
  await startProxy();
  // Anvil's clock now runs 100 s ahead of its latest block, which nobody mines.
  const request = (await clientOf(anvil.rpcUrl)).publicClient.request as (args: {
    method: string;
    params: unknown[];
  }) => Promise<unknown>;
  await request({ method: 'evm_increaseTime', params: [100] });
});

after(async () => {
  proxy?.close();
  await anvil?.stop();
});

describe('chainNow: the chain clock only', () => {
  it('is the pending block’s time (when a transaction sent now executes), not the latest block’s', async () => {
    const ctx = await clientOf(anvil.rpcUrl);
    const latest = Number((await ctx.publicClient.getBlock({ blockTag: 'latest' })).timestamp);
    const now = await chainNow(ctx);
    assert.ok(now >= latest + 100, `${now} is anvil's clock, 100 s past the latest block ${latest}`);
  });

  it('falls back to the latest block where the RPC answers pending with null, and remembers that', async () => {
    pendingMode = 'null';
    asked.length = 0;
    const ctx = await clientOf(proxyUrl);
    const latest = Number((await ctx.publicClient.getBlock({ blockTag: 'latest' })).timestamp);
    assert.equal(await chainNow(ctx), latest);
    assert.equal(await chainNow(ctx), latest);
    assert.equal(asked.filter((m) => m === 'pending').length, 1, 'pending asked once per endpoint');
  });

  it('falls back to the latest block for one call where the RPC answers pending with an error', async () => {
    pendingMode = 'error';
    asked.length = 0;
    const ctx = await clientOf(proxyUrl);
    const latest = Number((await ctx.publicClient.getBlock({ blockTag: 'latest' })).timestamp);
    assert.equal(await chainNow(ctx), latest);
    pendingMode = 'forward';
    assert.ok((await chainNow(ctx)) >= latest + 100, 'asks pending again once the RPC answers it');
  });

  it('cachedChainNow shares one reading among callers within its age', async () => {
    pendingMode = 'forward';
    const ctx = await clientOf(proxyUrl);
    const now = cachedChainNow(ctx, 60_000);
    asked.length = 0;
    const readings = await Promise.all([now(), now(), now()]);
    assert.equal(new Set(readings).size, 1);
    assert.equal(await now(), readings[0]);
    assert.deepEqual(asked, ['pending']);
  });
});
