import { Uint8ArrayList } from 'uint8arraylist';
import { FrameTooLargeError, FrameTruncatedError } from './errors.ts';

/** Bytes of the big-endian length that precedes every frame. */
export const FRAME_HEADER_BYTES = 4;

/** Prefixes `payload` with its length (4 bytes, big-endian). */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength);
  new DataView(out.buffer).setUint32(0, payload.byteLength);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/**
 * Reads length-prefixed frames, then raw bytes, from a libp2p stream (any
 * async iterable of chunks). A frame's announced length is checked against
 * the caller's limit before any of its body is read.
 */
export class FrameReader {
  readonly #source: AsyncIterator<Uint8Array | Uint8ArrayList>;
  readonly #buffer = new Uint8ArrayList();
  #ended = false;

  /** Wraps the stream; the reader becomes its only consumer. */
  constructor(source: AsyncIterable<Uint8Array | Uint8ArrayList>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  /** Reads one frame whose payload is at most `maxBytes`. */
  async readFrame(maxBytes: number): Promise<Uint8Array> {
    await this.#fill(FRAME_HEADER_BYTES);
    const length = this.#buffer.getUint32(0);
    if (length > maxBytes) {
      throw new FrameTooLargeError(`A frame of ${length} bytes exceeds the limit of ${maxBytes}.`);
    }
    await this.#fill(FRAME_HEADER_BYTES + length);
    const payload = this.#buffer.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length);
    this.#buffer.consume(FRAME_HEADER_BYTES + length);
    return payload;
  }

  /** Yields everything after the frames read so far, until the stream ends. */
  async *rest(): AsyncGenerator<Uint8Array> {
    for (const chunk of this.#buffer) yield chunk;
    this.#buffer.consume(this.#buffer.byteLength);
    while (!this.#ended) {
      const next = await this.#source.next();
      if (next.done) {
        this.#ended = true;
        return;
      }
      const value = next.value;
      if (value instanceof Uint8Array) yield value;
      else for (const chunk of value) yield chunk;
    }
  }

  async #fill(bytes: number): Promise<void> {
    while (this.#buffer.byteLength < bytes) {
      const next = this.#ended ? { done: true as const } : await this.#source.next();
      if (next.done) {
        this.#ended = true;
        throw new FrameTruncatedError(
          `The stream ended after ${this.#buffer.byteLength} of ${bytes} expected bytes.`,
        );
      }
      this.#buffer.append(next.value);
    }
  }
}
