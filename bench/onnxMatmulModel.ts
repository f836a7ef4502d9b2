/**
 * A minimal ONNX model built in code for the kernel benchmark: one MatMul node
 * Y = A · B with A a graph input and B a constant initializer (a model weight,
 * which onnxruntime may pre-pack). The protobuf is written by hand with the few
 * wire-format rules ONNX needs (varints and length-delimited fields).
 */

const FLOAT = 1;

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

/** Field with wire type 0 (varint). */
const int = (field: number, n: number): Uint8Array => Uint8Array.from([...varint(field << 3), ...varint(n)]);

/** Field with wire type 2 (bytes, string or embedded message). */
function bytes(field: number, ...parts: (Uint8Array | string)[]): Uint8Array {
  const body = concat(parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : p)));
  return concat([Uint8Array.from([...varint((field << 3) | 2), ...varint(body.length)]), body]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** ValueInfoProto body of a float tensor with a fixed shape. */
function valueInfo(name: string, shape: readonly number[]): Uint8Array {
  const dims = shape.map((d) => bytes(1, int(1, d)));
  const tensorType = concat([int(1, FLOAT), bytes(2, ...dims)]);
  return concat([bytes(1, name), bytes(2, bytes(1, tensorType))]);
}

/** ONNX bytes of Y (m, n) = A (m, k) · B (k, n) with B baked in as an initializer. */
export function onnxMatmulModel(m: number, k: number, n: number, b: Float32Array): Uint8Array {
  const node = bytes(1, bytes(1, 'A'), bytes(1, 'B'), bytes(2, 'Y'), bytes(3, 'matmul'), bytes(4, 'MatMul'));
  const init = bytes(
    5,
    int(1, k),
    int(1, n),
    int(2, FLOAT),
    bytes(8, 'B'),
    bytes(9, new Uint8Array(b.buffer, b.byteOffset, b.byteLength)),
  );
  const graph = bytes(
    7,
    node,
    bytes(2, 'bench'),
    init,
    bytes(11, valueInfo('A', [m, k])),
    bytes(12, valueInfo('Y', [m, n])),
  );
  const opset = bytes(8, bytes(1, ''), int(2, 13));
  return concat([int(1, 8), opset, graph]);
}
