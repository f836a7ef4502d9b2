import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Address } from 'viem';
import type { ConcordContext } from '../chain/context.ts';
import { devAccount } from '../chain/devAccounts.ts';
import { type DevChain, startDevChain } from '../chain/devChain.ts';
import { digestBytes } from '../core/digest.ts';
import { makeGptConfig } from '../model/config.ts';
import { GptParams } from '../model/params.ts';
import { encodePiece, modelDigest, pieceTreeOf } from '../model/pieces/index.ts';
import { type ConcordHost, createHost } from '../p2p/createHost.ts';
import { type PieceSource, servePieces } from '../p2p/piecesServer.ts';
import { checkpointPieceSource } from '../p2p/piecesSource.ts';
import { cachedChainNow } from './chainTime.ts';
import { ensureRegistered } from './ensureRegistered.ts';
import { fetchPiecesFromProviders } from './pieceFetcher.ts';

// Real anvil and libp2p: a fetching node, a registered provider that serves a
// corrupted leaf, and a registered honest provider.
const config = makeGptConfig({ vocabSize: 20, contextLength: 8, dModel: 16, nHeads: 2, nLayers: 1 });
const params = GptParams.init(config, 3);
const metadata = { 'concord.test': 'fetcher' };
const opening = {
  root: pieceTreeOf(params, metadata).root,
  fileDigest: digestBytes(new TextEncoder().encode('file')),
};
const digest = modelDigest(opening);
const honest = checkpointPieceSource(params, metadata, opening);
const corrupted: PieceSource = {
  ...honest,
  payload: (index) => encodePiece(params, metadata, index).map((b, i) => (i === 0 ? b ^ 1 : b)),
};
/** A dev account that never registered a peer. */
const unregistered = devAccount(9).address;

let chain: DevChain;
let hosts: ConcordHost[] = [];
let fetcher: { ctx: ConcordContext; host: ConcordHost };
let liar: Address;
let provider: Address;

async function startProvider(ctx: ConcordContext, source: PieceSource): Promise<ConcordHost> {
  const peerKey = await generateKeyPair('Ed25519');
  const host = await createHost({ privateKey: peerKey });
  await servePieces(host, {
    chainId: ctx.chain.id,
    sources: (d) => (d === digest ? source : undefined),
    authorize: async () => true,
    chainTime: cachedChainNow(ctx),
  });
  await ensureRegistered(ctx, peerKey);
  return host;
}

before(async () => {
  chain = await startDevChain({ actors: 3 });
  const [me, liarCtx, honestCtx] = chain.actors as [ConcordContext, ConcordContext, ConcordContext];
  hosts = [
    await createHost({ privateKey: await generateKeyPair('Ed25519') }),
    await startProvider(liarCtx, corrupted),
    await startProvider(honestCtx, honest),
  ];
  // The fetcher learns the providers' addresses by connecting (the chain names peer ids only).
  for (const h of hosts.slice(1)) await hosts[0]!.dial(h.getMultiaddrs());
  fetcher = { ctx: me, host: hosts[0]! };
  liar = liarCtx.account.address;
  provider = honestCtx.account.address;
});

after(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await chain?.stop();
});

test('providers are tried in order until one delivers a range that verifies', async () => {
  const me = fetcher.ctx.account.address;
  const fetched = await fetchPiecesFromProviders(fetcher, {
    digest,
    start: 2,
    end: 9,
    purpose: 'host',
    context: '1:0',
    providers: [me, liar, unregistered, provider],
  });
  assert.deepEqual(fetched.opening, opening);
  assert.deepEqual(
    fetched.payloads,
    Array.from({ length: 7 }, (_, i) => encodePiece(params, metadata, 2 + i)),
  );
});

test('when no provider delivers, PiecesUnavailableError names each failure', async () => {
  await assert.rejects(
    fetchPiecesFromProviders(fetcher, {
      digest,
      start: 2,
      end: 9,
      purpose: 'host',
      context: '1:0',
      providers: [liar, unregistered],
    }),
    (err: Error & { details?: string }) => {
      assert.equal(err.name, 'PiecesUnavailableError');
      assert.match(err.details ?? '', new RegExp(`${liar}: PiecesMismatchError`));
      assert.match(err.details ?? '', new RegExp(`${unregistered}: no verified peer binding`));
      return true;
    },
  );
});
