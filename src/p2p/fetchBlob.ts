import type { PeerId, Stream } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { Hex } from 'viem';
import { type ModelOpening, modelDigest, opensDigest } from '../model/pieces/digest.ts';
import { createBlobHasher } from '../store/blobHasher.ts';
import type { BlobStore, BlobWriter } from '../store/blobStore.ts';
import type { SignedBlobRequest } from './blobRequest.ts';
import { parseResponseHeader, refusalError } from './blobWire.ts';
import {
  BLOB_PROTOCOL,
  DEFAULT_FETCH_TIMEOUT_MS,
  DEFAULT_MAX_FETCH_BYTES,
  MAX_BLOB_RESPONSE_HEADER_BYTES,
} from './constants.ts';
import type { ConcordHost } from './createHost.ts';
import { dialExchange } from './dialExchange.ts';
import { BlobDigestMismatchError, BlobFetchProtocolError, BlobFetchSizeLimitError } from './errors.ts';
import { encodeFrame, FrameReader } from './frames.ts';

/** Parameters of `fetchBlob` and `fetchBlobToStore`. */
export type FetchBlobParameters = {
  /** The serving peer: its id (already known to the peer store) or its multiaddr(s). */
  peer: PeerId | Multiaddr | Multiaddr[];
  /** A request signed with `signBlobRequest`. */
  request: SignedBlobRequest;
  /** Largest blob accepted; default 1 GiB. */
  maxBytes?: number;
  /** Time the whole fetch may take; default 120 s. */
  timeoutMs?: number;
  /** Aborts the fetch (and its stream). */
  signal?: AbortSignal;
  /** Called after each received chunk with the bytes received so far and the announced size. */
  onProgress?: (received: number, size: number) => void;
};

/**
 * Fetches a blob into memory; the bytes are verified against the requested
 * digest (for a model digest: against the opening the peer sends, which
 * must open that digest).
 */
export async function fetchBlob(host: ConcordHost, params: FetchBlobParameters): Promise<Uint8Array> {
  let blob = new Uint8Array(0);
  let filled = 0;
  await receiveBlob(host, params, (size) => {
    blob = new Uint8Array(size);
    return (chunk) => {
      blob.set(chunk, filled);
      filled += chunk.byteLength;
    };
  });
  return blob;
}

/**
 * Streams a blob straight into the store (never held whole in memory); it
 * appears there only if its bytes match the digest, and a model blob with
 * its verified opening (so this node can serve it on). Returns the digest. When
 * the disk has no room for the announced size (or fills while writing) it
 * throws the store's `DiskFullError`, leaving no partial file.
 */
export async function fetchBlobToStore(
  host: ConcordHost,
  params: FetchBlobParameters & { blobs: BlobStore },
): Promise<Hex> {
  let writer: BlobWriter | undefined;
  try {
    const opening = await receiveBlob(host, params, (size) => {
      params.blobs.ensureRoom(size, params.request.digest);
      const opened = params.blobs.createWriter();
      writer = opened;
      return (chunk) => opened.write(chunk);
    });
    // receiveBlob always called the sink factory (or threw) before resolving.
    return writer!.commit(params.request.digest, opening);
  } finally {
    writer?.abort();
  }
}

/** Given the announced (and accepted) size, returns where each received chunk goes. */
type BlobSinkFactory = (size: number) => (chunk: Uint8Array) => void;

/**
 * Opens a stream, sends the request and passes the blob's chunks to the sink
 * made for its size; the digest is checked once the last byte arrived. Every
 * failure aborts the stream and surfaces as a named error. Resolves to the
 * opening the blob was verified with, if its digest is a model digest.
 */
async function receiveBlob(
  host: ConcordHost,
  params: FetchBlobParameters,
  sink: BlobSinkFactory,
): Promise<ModelOpening | undefined> {
  return await dialExchange(
    host,
    {
      peer: params.peer,
      protocol: BLOB_PROTOCOL,
      timeoutMs: params.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
      signal: params.signal,
      what: 'blob',
      protocolError: (message, cause) => new BlobFetchProtocolError(message, { cause }),
    },
    (stream, signal) => exchange(stream, params, sink, signal),
  );
}

async function exchange(
  stream: Stream,
  params: FetchBlobParameters,
  sink: BlobSinkFactory,
  signal: AbortSignal,
): Promise<ModelOpening | undefined> {
  stream.send(encodeFrame(new TextEncoder().encode(JSON.stringify(params.request))));
  await stream.close({ signal });
  const reader = new FrameReader(stream);
  let headerBytes: Uint8Array;
  try {
    headerBytes = await reader.readFrame(MAX_BLOB_RESPONSE_HEADER_BYTES);
  } catch (cause) {
    throw new BlobFetchProtocolError('The peer sent no valid response header.', { cause });
  }
  const header = parseResponseHeader(headerBytes);
  if (typeof header === 'string') throw new BlobFetchProtocolError(`Bad response header: ${header}.`);
  if (!header.ok) throw refusalError(header.code, header.message, String(params.peer));
  const maxBytes = params.maxBytes ?? DEFAULT_MAX_FETCH_BYTES;
  if (header.size > maxBytes) {
    throw new BlobFetchSizeLimitError(
      `The peer offers a blob of ${header.size} bytes; the limit is ${maxBytes}.`,
      {
        hint: 'Raise maxBytes if blobs this large are expected.',
      },
    );
  }
  const fileDigest = expectedFileDigest(params.request.digest, header.opening);
  const onChunk = sink(header.size);
  const hasher = createBlobHasher();
  let received = 0;
  for await (const chunk of reader.rest()) {
    received += chunk.byteLength;
    if (received > header.size) {
      throw new BlobFetchProtocolError(`The peer sent more than the ${header.size} bytes it announced.`);
    }
    hasher.update(chunk);
    onChunk(chunk);
    params.onProgress?.(received, header.size);
    if (signal.aborted) throw signal.reason;
  }
  if (received < header.size) {
    throw new BlobFetchProtocolError(`The stream ended after ${received} of ${header.size} bytes.`);
  }
  const digest = hasher.digest();
  if (digest !== fileDigest) {
    const of = header.opening ? ` (its opening's file digest ${fileDigest})` : '';
    throw new BlobDigestMismatchError('The received bytes do not match the requested digest.', {
      details: `requested ${params.request.digest}${of}, received ${digest}`,
      hint: 'The peer served wrong data; fetch from another holder.',
    });
  }
  return header.opening;
}

/**
 * The sha256 the streamed bytes must have: the requested digest, or with a
 * model opening its file digest, once the opening is checked to open the
 * requested digest (a `BlobDigestMismatchError` before any byte is taken).
 */
function expectedFileDigest(requested: Hex, opening: ModelOpening | undefined): Hex {
  if (opening === undefined) return requested.toLowerCase() as Hex;
  if (!opensDigest(opening, requested)) {
    throw new BlobDigestMismatchError('The model opening the peer sent does not open the requested digest.', {
      details: `requested ${requested}, the opening gives ${modelDigest(opening)}`,
      hint: 'The peer served wrong data; fetch from another holder.',
    });
  }
  return opening.fileDigest.toLowerCase() as Hex;
}
