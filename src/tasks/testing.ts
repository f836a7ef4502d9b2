import type { Hex } from 'viem';
import { encodeTensor } from '../core/codec.ts';
import { digestBytes } from '../core/digest.ts';
import { modelDigest } from '../model/pieces/digest.ts';
import { checkpointOpening } from './checkpointPieces.ts';
import { mapContext, type TaskContext } from './kind.ts';

/**
 * Test helper: an in-memory content-addressed blob map with a `TaskContext`
 * over it, so task kinds run against real encoded blobs and digests.
 */
export class MemoryBlobs {
  readonly #blobs = new Map<Hex, Uint8Array>();

  /** Stores bytes; returns their digest. */
  put(bytes: Uint8Array): Hex {
    const digest = digestBytes(bytes);
    this.#blobs.set(digest, bytes);
    return digest;
  }

  /** Stores a checkpoint as a model version (as `BlobStore.putModel`); returns its model digest. */
  putModel(bytes: Uint8Array): Hex {
    const digest = modelDigest(checkpointOpening(bytes));
    this.#blobs.set(digest, bytes);
    return digest;
  }

  /** Encodes an f32 tensor and stores it; returns its digest. */
  putF32(shape: number[], data: Float32Array): Hex {
    return this.put(encodeTensor({ dtype: 'f32', shape, data }));
  }

  /** A task context reading from this map (missing digests reject). */
  context(signal?: AbortSignal): TaskContext {
    return mapContext(this.#blobs, signal);
  }
}
