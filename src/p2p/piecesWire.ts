import type { Hex } from 'viem';
import { isBytes32 } from '../core/bytes32.ts';
import type { BaseError } from '../core/errors.ts';
import type { ModelOpening, RangeProof } from '../model/pieces/index.ts';
import { BLOB_ERROR_CLASSES, parseJsonObject, parseRefusal, refusalErrorOf } from './blobWire.ts';
import { PiecesRangeInvalidError, PiecesRangeTooLargeError } from './errors.ts';
import { encodeFrame } from './frames.ts';

/**
 * The stable refusal codes of `/concord/pieces/1.0.0`: the blob protocol's
 * (same meaning, same error classes), plus the range's own.
 */
export const PIECES_ERROR_CLASSES = {
  ...BLOB_ERROR_CLASSES,
  BAD_RANGE: PiecesRangeInvalidError,
  RANGE_TOO_LARGE: PiecesRangeTooLargeError,
} as const;

/** A refusal code sent by a pieces server. */
export type PiecesErrorCode = keyof typeof PIECES_ERROR_CLASSES;

/**
 * The first frame of every pieces response: the opening of the model digest,
 * the range proof of the requested leaves, and their total payload bytes
 * (the payload frames follow, one per leaf); or a refusal.
 */
export type PiecesResponseHeader =
  | { ok: true; opening: ModelOpening; proof: RangeProof; bytes: number }
  | { ok: false; code: PiecesErrorCode; message: string };

/** Encodes a response header as a frame. */
export function encodePiecesHeader(header: PiecesResponseHeader): Uint8Array {
  return encodeFrame(new TextEncoder().encode(JSON.stringify(header)));
}

/** Parses an untrusted response header; returns it, or why it is malformed. */
export function parsePiecesHeader(bytes: Uint8Array): PiecesResponseHeader | string {
  const v = parseJsonObject(bytes);
  if (typeof v === 'string') return v;
  if (v.ok !== true) return parseRefusal(v, PIECES_ERROR_CLASSES);
  const opening = v.opening as Record<string, unknown> | null;
  if (typeof opening !== 'object' || opening === null) return 'the header has no opening';
  if (!isBytes32(opening.root) || !isBytes32(opening.fileDigest)) return 'the opening is not two digests';
  const proof = parseProof(v.proof);
  if (typeof proof === 'string') return proof;
  if (!Number.isSafeInteger(v.bytes) || (v.bytes as number) < 0) return 'the header has no valid byte count';
  return {
    ok: true,
    opening: { root: lower(opening.root), fileDigest: lower(opening.fileDigest) },
    proof,
    bytes: v.bytes as number,
  };
}

function parseProof(value: unknown): RangeProof | string {
  if (typeof value !== 'object' || value === null) return 'the header has no range proof';
  const p = value as Record<string, unknown>;
  const counts = [p.leafCount, p.start, p.end];
  if (!counts.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) {
    return 'the range proof has no valid leaf counts';
  }
  if (!Array.isArray(p.siblings) || !p.siblings.every(isBytes32)) {
    return 'the range proof siblings are not digests';
  }
  return {
    leafCount: p.leafCount as number,
    start: p.start as number,
    end: p.end as number,
    siblings: p.siblings.map(lower),
  };
}

function lower(hex: Hex): Hex {
  return hex.toLowerCase() as Hex;
}

/** The client-side error for a pieces server's refusal. */
export function piecesRefusalError(code: PiecesErrorCode, message: string, peer: string): BaseError {
  return refusalErrorOf(PIECES_ERROR_CLASSES, code, message, `Peer ${peer} refused the pieces request`);
}
