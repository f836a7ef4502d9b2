import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ByteReader, encodeS64, encodeU32 } from './binary.ts';

describe('wasm binary primitives', () => {
  it('round-trips unsigned LEB128 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        const r = new ByteReader(encodeU32(v));
        assert.equal(r.u32(), v);
        assert.ok(r.done);
      }),
    );
  });

  it('encodes signed LEB128 of exactly the length the reader skips (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) => {
        const bytes = encodeS64(v);
        const r = new ByteReader(Uint8Array.from([...bytes, 0xaa]));
        r.skipSigned(64);
        assert.equal(r.pos, bytes.length);
        let value = 0n;
        bytes.forEach((b, i) => {
          value |= BigInt(b & 0x7f) << BigInt(7 * i);
        });
        assert.equal(BigInt.asIntN(7 * bytes.length, value), v);
      }),
    );
  });

  it('matches known LEB128 encodings', () => {
    assert.deepEqual([...encodeU32(624485)], [0xe5, 0x8e, 0x26]);
    assert.deepEqual([...encodeS64(-123456n)], [0xc0, 0xbb, 0x78]);
    assert.deepEqual([...encodeS64(63n)], [0x3f]);
    assert.deepEqual([...encodeS64(64n)], [0xc0, 0x00]);
  });

  it('refuses reads past the end and overlong integers with WasmInvalidModuleError', () => {
    assert.throws(() => new ByteReader(Uint8Array.of(0x80)).u32(), { name: 'WasmInvalidModuleError' });
    assert.throws(() => new ByteReader(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x00)).u32(), {
      name: 'WasmInvalidModuleError',
    });
    assert.throws(() => new ByteReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x7f)).u32(), {
      name: 'WasmInvalidModuleError',
    });
    assert.throws(() => new ByteReader(Uint8Array.of(1, 2)).take(3), { name: 'WasmInvalidModuleError' });
  });
});
