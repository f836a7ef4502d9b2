import { WasmInvalidModuleError } from './errors.ts';

/**
 * The WebAssembly binary primitives the runtime needs: a bounds-checked
 * reader of bytes and LEB128 integers, and a writer that concatenates
 * chunks. Malformed input is a `WasmInvalidModuleError`, never a crash.
 */

/** A cursor over a byte array; every read checks bounds. */
export class ByteReader {
  readonly bytes: Uint8Array;
  pos: number;
  readonly end: number;

  /** Reads `bytes[start, end)`. */
  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  /** Whether the cursor reached the end. */
  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads one byte. */
  byte(): number {
    if (this.pos >= this.end) throw truncated(this.pos);
    return this.bytes[this.pos++]!;
  }

  /** Skips `n` bytes. */
  skip(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw truncated(this.pos);
    this.pos += n;
  }

  /** Reads `n` bytes (a view, not a copy). */
  take(n: number): Uint8Array {
    const start = this.pos;
    this.skip(n);
    return this.bytes.subarray(start, this.pos);
  }

  /** Reads an unsigned LEB128 integer of at most 32 bits. */
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff)
          throw new WasmInvalidModuleError(`LEB128 u32 overflows at byte ${this.pos}.`);
        return result;
      }
    }
    throw new WasmInvalidModuleError(`LEB128 u32 longer than 5 bytes at byte ${this.pos}.`);
  }

  /** Skips a signed LEB128 integer of at most `bits` bits (33 for block types, 64 for i64.const). */
  skipSigned(bits: number): void {
    const maxBytes = Math.ceil(bits / 7);
    for (let i = 0; i < maxBytes; i++) if ((this.byte() & 0x80) === 0) return;
    throw new WasmInvalidModuleError(`LEB128 s${bits} too long at byte ${this.pos}.`);
  }

  /** Reads a length-prefixed UTF-8 name. */
  name(): string {
    const bytes = this.take(this.u32());
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (cause) {
      throw new WasmInvalidModuleError(`A name at byte ${this.pos} is not UTF-8.`, { cause });
    }
  }
}

function truncated(pos: number): WasmInvalidModuleError {
  return new WasmInvalidModuleError(`The module ends unexpectedly at byte ${pos}.`, {
    hint: 'The .wasm file is truncated or not WebAssembly.',
  });
}

/** Encodes an unsigned LEB128 integer (0 <= value < 2^32). */
export function encodeU32(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return Uint8Array.from(out);
}

/** Encodes a signed LEB128 integer of up to 64 bits. */
export function encodeS64(value: bigint): Uint8Array {
  const out: number[] = [];
  let v = BigInt.asIntN(64, value);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const signBit = (b & 0x40) !== 0;
    if ((v === 0n && !signBit) || (v === -1n && signBit)) {
      out.push(b);
      return Uint8Array.from(out);
    }
    out.push(b | 0x80);
  }
}

/** Collects byte chunks and joins them once. */
export class ByteWriter {
  readonly #chunks: Uint8Array[] = [];
  #length = 0;

  /** Appends bytes (a byte array or a list of byte values). */
  push(bytes: Uint8Array | readonly number[]): this {
    const chunk = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    return this;
  }

  /** The number of bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** All chunks joined. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}
