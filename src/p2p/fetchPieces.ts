import type { PeerId, Stream } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { type ModelOpening, opensDigest, type RangeProof, verifyPieceRange } from '../model/pieces/index.ts';
import {
  DEFAULT_FETCH_TIMEOUT_MS,
  DEFAULT_MAX_PIECES_RANGE_BYTES,
  MAX_PIECES_HEADER_BYTES,
  PIECES_PROTOCOL,
} from './constants.ts';
import type { ConcordHost } from './createHost.ts';
import { dialExchange } from './dialExchange.ts';
import {
  PiecesFetchProtocolError,
  PiecesFetchSizeLimitError,
  PiecesMismatchError,
  PiecesOpeningMismatchError,
} from './errors.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import type { SignedPiecesRequest } from './piecesRequest.ts';
import { parsePiecesHeader, piecesRefusalError } from './piecesWire.ts';

/** Parameters of `fetchPieces`. */
export type FetchPiecesParameters = {
  /** The serving peer: its id (already known to the peer store) or its multiaddr(s). */
  peer: PeerId | Multiaddr | Multiaddr[];
  /** A request signed with `signPiecesRequest`: the model digest and the leaf range [start, end). */
  request: SignedPiecesRequest;
  /** Largest payload (all leaves) accepted; default 64 MiB. */
  maxBytes?: number;
  /** Time the whole fetch may take; default 120 s. */
  timeoutMs?: number;
  /** Aborts the fetch (and its stream). */
  signal?: AbortSignal;
};

/** A verified leaf range: the opening of the requested model digest and the leaves' payloads in order. */
export type FetchedPieces = { opening: ModelOpening; payloads: Uint8Array[] };

/**
 * Fetches the leaves [start, end) of the request's model digest D and
 * verifies them: the opening must hash to D (`PiecesOpeningMismatchError`)
 * and the payloads, with the range proof, to the opening's pieces root
 * (`PiecesMismatchError`). Refusals are the blob protocol's named errors
 * (plus `PiecesRangeInvalidError`, `PiecesRangeTooLargeError`); broken
 * responses `PiecesFetchProtocolError`; timeouts and aborts as `fetchBlob`'s.
 */
export async function fetchPieces(host: ConcordHost, params: FetchPiecesParameters): Promise<FetchedPieces> {
  return await dialExchange(
    host,
    {
      peer: params.peer,
      protocol: PIECES_PROTOCOL,
      timeoutMs: params.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
      signal: params.signal,
      what: 'pieces',
      protocolError: (message, cause) => new PiecesFetchProtocolError(message, { cause }),
    },
    (stream, signal) => exchange(stream, params, signal),
  );
}

async function exchange(
  stream: Stream,
  params: FetchPiecesParameters,
  signal: AbortSignal,
): Promise<FetchedPieces> {
  const { request } = params;
  stream.send(encodeFrame(new TextEncoder().encode(JSON.stringify(request))));
  await stream.close({ signal });
  const reader = new FrameReader(stream);
  const header = parsePiecesHeader(await readFrame(reader, MAX_PIECES_HEADER_BYTES, 'response header'));
  if (typeof header === 'string') throw new PiecesFetchProtocolError(`Bad response header: ${header}.`);
  if (!header.ok) throw piecesRefusalError(header.code, header.message, String(params.peer));
  const { opening, proof } = header;
  if (!opensDigest(opening, request.digest)) {
    throw new PiecesOpeningMismatchError('The peer’s opening does not hash to the requested model digest.', {
      details: `requested ${request.digest}, opening ${opening.root} / ${opening.fileDigest}`,
      hint: 'The peer served another model; fetch from another holder.',
    });
  }
  if (proof.start !== request.start || proof.end !== request.end || proof.leafCount < proof.end) {
    throw new PiecesFetchProtocolError(
      `The peer proved leaves [${proof.start}, ${proof.end}) of ${proof.leafCount}, not [${request.start}, ${request.end}).`,
    );
  }
  const maxBytes = params.maxBytes ?? DEFAULT_MAX_PIECES_RANGE_BYTES;
  if (header.bytes > maxBytes) {
    throw new PiecesFetchSizeLimitError(
      `The peer offers ${header.bytes} bytes of leaves; the limit is ${maxBytes}.`,
      { hint: 'Fetch a smaller range, or raise maxBytes.' },
    );
  }
  const payloads: Uint8Array[] = [];
  let left = header.bytes;
  for (let index = proof.start; index < proof.end; index++) {
    const payload = await readFrame(reader, left, `leaf ${index}`);
    left -= payload.byteLength;
    // A copy of its own: a frame may be a view into a larger network chunk, at any byte offset,
    // and the decoders read payloads through aligned Float32Array views.
    payloads.push(new Uint8Array(payload));
    if (signal.aborted) throw signal.reason;
  }
  if (left !== 0)
    throw new PiecesFetchProtocolError(`The leaves were ${left} bytes short of the announced count.`);
  for await (const chunk of reader.rest()) {
    if (chunk.byteLength > 0) throw new PiecesFetchProtocolError('The peer sent bytes after the last leaf.');
  }
  if (!verifies(opening, proof, payloads)) {
    throw new PiecesMismatchError('The received leaves do not verify against the model’s pieces root.', {
      details: `leaves [${proof.start}, ${proof.end}) of ${request.digest}`,
      hint: 'The peer served wrong data; fetch from another holder.',
    });
  }
  return { opening, payloads };
}

function verifies(opening: ModelOpening, proof: RangeProof, payloads: Uint8Array[]): boolean {
  try {
    return verifyPieceRange(opening.root, proof, payloads);
  } catch {
    return false;
  }
}

/** Reads one frame of at most `maxBytes`; a missing, truncated or oversize frame is a protocol error. */
async function readFrame(reader: FrameReader, maxBytes: number, what: string): Promise<Uint8Array> {
  try {
    return await reader.readFrame(maxBytes);
  } catch (cause) {
    throw new PiecesFetchProtocolError(`The peer sent no valid ${what}.`, { cause });
  }
}
