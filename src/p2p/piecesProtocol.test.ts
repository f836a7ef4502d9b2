import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { digestBytes } from '../core/digest.ts';
import { headDim, makeGptConfig, mlpDim } from '../model/config.ts';
import { GptParams } from '../model/params.ts';
import {
  attnPieceParts,
  decodeBasePiece,
  encodePiece,
  locateLeaf,
  type ModelOpening,
  mlpPieceParts,
  modelDigest,
  pieceLayout,
  pieceTreeOf,
  vocabPieceRow,
} from '../model/pieces/index.ts';
import { signBlobRequest } from './blobRequest.ts';
import { PIECES_PROTOCOL } from './constants.ts';
import type { ConcordHost } from './createHost.ts';
import { fetchPieces } from './fetchPieces.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import { signPiecesRequest } from './piecesRequest.ts';
import { type PieceSource, type PiecesAuthorizationQuery, PiecesServer } from './piecesServer.ts';
import { checkpointPieceSource } from './piecesSource.ts';
import { parsePiecesHeader } from './piecesWire.ts';
import { startTestHost } from './testing.ts';

const CHAIN = 31337;
const CHAIN_TIME = 2_000_000_000;
const LIMIT = 16 * 1024;
const owner = privateKeyToAccount(generatePrivateKey());
const stranger = privateKeyToAccount(generatePrivateKey());
const config = makeGptConfig({ vocabSize: 30, contextLength: 16, dModel: 24, nHeads: 2, nLayers: 2 });
const params = GptParams.init(config, 7);
const metadata = { 'concord.test': 'pieces', b: '2' };
const layout = pieceLayout(config);
const opening: ModelOpening = {
  root: pieceTreeOf(params, metadata).root,
  fileDigest: digestBytes(new TextEncoder().encode('the checkpoint file')),
};
const honest = checkpointPieceSource(params, metadata, opening);
const digest = modelDigest(opening);
/** What the lying server serves instead of `honest`; each test sets it. */
let lie: PieceSource = honest;

let server: ConcordHost;
let liar: ConcordHost;
let client: ConcordHost;
let serverAddr: Multiaddr;
let liarAddr: Multiaddr;
let pieces: PiecesServer;
const asked: PiecesAuthorizationQuery[] = [];

before(async () => {
  [server, liar, client] = await Promise.all([startTestHost(), startTestHost(), startTestHost()]);
  serverAddr = server.getMultiaddrs()[0]!;
  liarAddr = liar.getMultiaddrs()[0]!;
  const common = { chainId: CHAIN, chainTime: async () => CHAIN_TIME, maxRangeBytes: LIMIT };
  pieces = new PiecesServer(server, {
    ...common,
    sources: (d) => (d === digest ? honest : undefined),
    authorize: async (q) => {
      asked.push(q);
      return q.requester === owner.address;
    },
  });
  await pieces.start();
  await new PiecesServer(liar, {
    ...common,
    sources: (d) => (d === digest ? lie : undefined),
    authorize: async () => true,
  }).start();
});

after(async () => {
  await Promise.all([server.stop(), liar.stop(), client.stop()]);
});

const request = (start: number, end: number, signer = owner, d = digest) =>
  signPiecesRequest(signer, {
    digest: d,
    chainId: CHAIN,
    purpose: 'host',
    context: '1:0',
    chainTime: CHAIN_TIME,
    start,
    end,
  });

const encoded = (start: number, end: number) =>
  Array.from({ length: end - start }, (_, i) => encodePiece(params, metadata, start + i));

/** Leaf ranges covering the whole model, each within the server's byte limit. */
function rangesWithinLimit(): [number, number][] {
  const ranges: [number, number][] = [];
  let start = 0;
  while (start < layout.leafCount) {
    let end = start + 1;
    while (end < layout.leafCount && honest.rangeBytes(start, end + 1) <= LIMIT) end++;
    ranges.push([start, end]);
    start = end;
  }
  return ranges;
}

test('a range fetch returns exactly the encoded payloads of its leaves, with the opening', async () => {
  const [start, end] = [3, 40]; // attn and mlp leaves of layer 0
  const fetched = await fetchPieces(client, { peer: serverAddr, request: await request(start, end) });
  assert.deepEqual(fetched.opening, opening);
  assert.deepEqual(fetched.payloads, encoded(start, end));
  assert.deepEqual(asked.at(-1), {
    requester: owner.address,
    digest,
    purpose: 'host',
    context: '1:0',
    start,
    end,
  });
  const base = await fetchPieces(client, { peer: serverAddr, request: await request(0, 1) });
  assert.deepEqual(base.payloads, encoded(0, 1));
  const last = layout.leafCount;
  const tail = await fetchPieces(client, { peer: serverAddr, request: await request(last - 5, last) });
  assert.deepEqual(tail.payloads, encoded(last - 5, last));
});

test('the whole model fetched in ranges within the limit reassembles the parameters bit for bit', async () => {
  const ranges = rangesWithinLimit();
  assert.ok(ranges.length > 3, 'the limit must force several ranges');
  const payloads: Uint8Array[] = [];
  for (const [start, end] of ranges) {
    payloads.push(
      ...(await fetchPieces(client, { peer: serverAddr, request: await request(start, end) })).payloads,
    );
  }
  assert.equal(payloads.length, layout.leafCount);
  const rebuilt = reassemble(payloads);
  assert.deepEqual(rebuilt.metadata, metadata);
  assert.deepEqual(new Uint8Array(rebuilt.params.flat.buffer), new Uint8Array(params.flat.buffer));
});

test('a lying server is caught: a wrong payload byte, a wrong proof, a wrong opening, another range', async () => {
  const fetchFromLiar = async () => fetchPieces(client, { peer: liarAddr, request: await request(5, 9) });
  lie = honest;
  assert.deepEqual((await fetchFromLiar()).payloads, encoded(5, 9));

  lie = {
    ...honest,
    payload: (index) => {
      const payload = encodePiece(params, metadata, index).slice();
      if (index === 7) payload[payload.length - 1]! ^= 1;
      return payload;
    },
  };
  await assert.rejects(fetchFromLiar(), { name: 'PiecesMismatchError' });

  lie = {
    ...honest,
    tree: {
      leafCount: layout.leafCount,
      proveRange: (start, end) => {
        const proof = honest.tree.proveRange(start, end);
        const [first, ...rest] = proof.siblings;
        const flipped = `${first!.slice(0, -1)}${first!.endsWith('0') ? '1' : '0'}` as Hex;
        return { ...proof, siblings: [flipped, ...rest] };
      },
    },
  };
  await assert.rejects(fetchFromLiar(), { name: 'PiecesMismatchError' });

  lie = {
    ...honest,
    tree: {
      leafCount: layout.leafCount,
      proveRange: (s, e) => {
        const proof = honest.tree.proveRange(s, e);
        return { ...proof, siblings: proof.siblings.slice(1) };
      },
    },
  };
  await assert.rejects(fetchFromLiar(), { name: 'PiecesMismatchError' });

  lie = { ...honest, opening: { ...opening, fileDigest: digestBytes(new Uint8Array([1])) } };
  await assert.rejects(fetchFromLiar(), { name: 'PiecesOpeningMismatchError' });

  lie = {
    ...honest,
    tree: { leafCount: layout.leafCount, proveRange: (s, e) => honest.tree.proveRange(s + 1, e + 1) },
    payload: (index) => encodePiece(params, metadata, index + 1),
  };
  await assert.rejects(fetchFromLiar(), { name: 'PiecesFetchProtocolError' });
  lie = honest;
});

test('a signature is good for its own range once: a replay is REPLAYED, another range BAD_SIGNATURE', async () => {
  const signed = await request(10, 12);
  await fetchPieces(client, { peer: serverAddr, request: signed });
  await assert.rejects(fetchPieces(client, { peer: serverAddr, request: signed }), {
    name: 'BlobFetchReplayedError',
  });
  const fresh = await request(10, 12);
  for (const [start, end] of [
    [10, 13],
    [11, 12],
    [0, layout.leafCount],
  ] as const) {
    await assert.rejects(fetchPieces(client, { peer: serverAddr, request: { ...fresh, start, end } }), {
      name: 'BlobFetchBadSignatureError',
    });
  }
  // A blob request's signature is not a pieces request's, even for the same digest.
  const blob = await signBlobRequest(owner, {
    digest,
    chainId: CHAIN,
    purpose: 'host',
    context: '1:0',
    chainTime: CHAIN_TIME,
  });
  await assert.rejects(fetchPieces(client, { peer: serverAddr, request: { ...blob, start: 10, end: 12 } }), {
    name: 'BlobFetchBadSignatureError',
  });
  // The untouched request is still served: refusals took no room in the nonce memory.
  assert.equal((await fetchPieces(client, { peer: serverAddr, request: fresh })).payloads.length, 2);
});

test('an unauthorized requester is refused UNAUTHORIZED and gets no leaf', async () => {
  const before = pieces.stats.bytesServed;
  await assert.rejects(fetchPieces(client, { peer: serverAddr, request: await request(1, 3, stranger) }), {
    name: 'BlobFetchUnauthorizedError',
  });
  assert.equal(pieces.stats.bytesServed, before);
});

test('ranges past the limit or the leaves, unknown digests and malformed ranges are refused by name', async () => {
  const before = pieces.stats.bytesServed;
  const whole = await request(0, layout.leafCount);
  await assert.rejects(fetchPieces(client, { peer: serverAddr, request: whole }), {
    name: 'PiecesRangeTooLargeError',
  });
  await assert.rejects(
    fetchPieces(client, {
      peer: serverAddr,
      request: await request(layout.leafCount - 1, layout.leafCount + 1),
    }),
    { name: 'PiecesRangeInvalidError' },
  );
  const unknown = digestBytes(new Uint8Array([9]));
  await assert.rejects(
    fetchPieces(client, { peer: serverAddr, request: await request(0, 1, owner, unknown) }),
    {
      name: 'BlobFetchNotFoundError',
    },
  );
  assert.equal(pieces.stats.bytesServed, before);
  // The client's own limit: it stops reading after the header.
  await assert.rejects(
    fetchPieces(client, { peer: serverAddr, request: await request(3, 5), maxBytes: 100 }),
    { name: 'PiecesFetchSizeLimitError' },
  );
  const signed = await request(4, 6);
  for (const range of [{ start: 6, end: 6 }, { start: -1, end: 2 }, { start: '1', end: 2 }, { end: 2 }]) {
    const { start: _s, end: _e, ...rest } = signed;
    assert.equal(await rawCode({ ...rest, ...range }), 'MALFORMED');
  }
  assert.equal(await rawCode(signed), 'OK');
});

/** Sends a raw request and returns the response's code (`OK` when served). */
async function rawCode(value: unknown): Promise<string> {
  const stream = await client.dialProtocol(serverAddr, PIECES_PROTOCOL);
  stream.send(encodeFrame(new TextEncoder().encode(JSON.stringify(value))));
  await stream.close();
  const header = parsePiecesHeader(await new FrameReader(stream).readFrame(16 * 1024));
  assert.notEqual(typeof header, 'string');
  return typeof header === 'object' && !header.ok ? header.code : 'OK';
}

/** The parameters and metadata a model's payloads (all leaves, in order) describe. */
function reassemble(payloads: readonly Uint8Array[]): {
  params: GptParams;
  metadata: Record<string, string>;
} {
  const base = decodeBasePiece(payloads[0]!);
  const { config: c } = base;
  const out = GptParams.zeros(c);
  const w = out.weights;
  const [C, hd, F] = [c.dModel, headDim(c), mlpDim(c)];
  w.wpe.set(base.wpe);
  w.lnF.weight.set(base.lnF.weight);
  w.lnF.bias.set(base.lnF.bias);
  base.blocks.forEach((b, l) => {
    const block = w.blocks[l]!;
    block.ln1.weight.set(b.ln1.weight);
    block.ln1.bias.set(b.ln1.bias);
    block.attnProj.bias.set(b.attnProjBias);
    block.ln2.weight.set(b.ln2.weight);
    block.ln2.bias.set(b.ln2.bias);
    block.mlpProj.bias.set(b.mlpProjBias);
  });
  const at = pieceLayout(c);
  for (let index = 1; index < payloads.length; index++) {
    const leaf = locateLeaf(at, index);
    if (leaf.kind === 'vocab') {
      w.wte.set(vocabPieceRow(c, payloads[index]!), leaf.unit * C);
    } else if (leaf.kind === 'attn') {
      const block = w.blocks[leaf.layer]!;
      const p = attnPieceParts(c, payloads[index]!);
      const row = leaf.unit * hd;
      for (const [part, rows, bias] of [
        [0, p.q, p.qBias],
        [1, p.k, p.kBias],
        [2, p.v, p.vBias],
      ] as const) {
        block.qkv.weight.set(rows, (part * C + row) * C);
        block.qkv.bias.set(bias, part * C + row);
      }
      for (let o = 0; o < C; o++)
        block.attnProj.weight.set(p.proj.subarray(o * hd, (o + 1) * hd), o * C + row);
    } else if (leaf.kind === 'mlp') {
      const block = w.blocks[leaf.layer]!;
      const p = mlpPieceParts(c, payloads[index]!);
      block.fc.weight.set(p.fc, leaf.unit * C);
      block.fc.bias[leaf.unit] = p.fcBias;
      for (let o = 0; o < C; o++) block.mlpProj.weight[o * F + leaf.unit] = p.proj[o]!;
    }
  }
  return { params: out, metadata: base.metadata };
}
