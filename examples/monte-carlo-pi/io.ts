/** Input and output of the monte-carlo-pi example (see pi.wat). */

/** The input blob: the sample count as a little-endian u32. */
export function piInput(samples: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, samples, true);
  return bytes;
}

/** The decoded 24-byte output. */
export type PiOutput = { estimate: number; hits: bigint; samples: bigint };

/** Decodes the output blob. */
export function decodePiOutput(bytes: Uint8Array): PiOutput {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    estimate: view.getFloat64(0, true),
    hits: view.getBigUint64(8, true),
    samples: view.getBigUint64(16, true),
  };
}
