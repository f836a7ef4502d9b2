import type { Hex } from 'viem';
import type { ModelOpening } from '../model/pieces/index.ts';
import type { PieceSource } from '../p2p/piecesServer.ts';
import { checkpointPieceSource } from '../p2p/piecesSource.ts';
import type { BlobStore } from '../store/blobStore.ts';
import { readCheckpoint } from '../tasks/checkpoint.ts';

/**
 * The pieces this node can serve: those of every model checkpoint its store
 * holds whole (stored by model digest with its opening: a genesis checkpoint
 * it was given, or an aggregate result it computed or fetched). The last
 * checkpoint asked for stays loaded with its tree, so a host fetching its
 * shards range by range does not make the node read the file again.
 */
export function storePieceSources(
  blobs: Pick<BlobStore, 'hasBlob' | 'getBlob'> & { openingOf(digest: Hex): ModelOpening | undefined },
): (digest: Hex) => PieceSource | undefined {
  let last: { digest: string; source: PieceSource } | undefined;
  return (digest) => {
    const key = digest.toLowerCase();
    if (last?.digest === key) return last.source;
    const opening = blobs.hasBlob(digest) ? blobs.openingOf(digest) : undefined;
    if (opening === undefined) return undefined;
    const { params, metadata } = readCheckpoint(blobs.getBlob(digest));
    last = { digest: key, source: checkpointPieceSource(params, metadata, opening) };
    return last.source;
  };
}
