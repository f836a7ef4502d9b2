import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestBytes } from '../core/digest.ts';
import { KERNEL_VERSION } from '../tensor/index.ts';
import { createTaskKindRegistry } from './builtin.ts';
import { kindIdOf } from './kind.ts';
import { decodeTaskSpec, encodeTaskSpec, TASK_SPEC_MAX_BYTES } from './spec.ts';

const registry = createTaskKindRegistry();
const spec = {
  vector: `0x${'22'.repeat(32)}`,
  kind: 'matvec',
  matrix: `0x${'11'.repeat(32)}`,
  kernel: KERNEL_VERSION,
};
const text = (s: string) => new TextEncoder().encode(s);

describe('task spec blobs', () => {
  it('encode to canonical JSON whose digest is the spec digest, and decode back', () => {
    const encoded = encodeTaskSpec(registry, spec);
    assert.equal(
      new TextDecoder().decode(encoded.bytes),
      `{"kernel":"${KERNEL_VERSION}","kind":"matvec","matrix":"${spec.matrix}","vector":"${spec.vector}"}`,
    );
    assert.equal(encoded.digest, digestBytes(encoded.bytes));
    const decoded = decodeTaskSpec(registry, encoded.bytes, kindIdOf('matvec'));
    assert.equal(decoded.kind.name, 'matvec');
    assert.deepEqual(decoded.spec, spec);
  });

  it('refuses to encode an invalid spec', () => {
    assert.throws(() => encodeTaskSpec(registry, { ...spec, kernel: 'x' }), { name: 'TaskSpecError' });
    assert.throws(() => encodeTaskSpec(registry, { kind: 'nope' }), { name: 'UnknownTaskKindError' });
    assert.throws(() => encodeTaskSpec(registry, { vector: 1 }), { name: 'TaskSpecError' });
  });

  it('rejects blobs that are not canonical, not JSON, not UTF-8 or too large', () => {
    const canonical = new TextDecoder().decode(encodeTaskSpec(registry, spec).bytes);
    const bad = [
      text(`${canonical} `),
      text(JSON.stringify(spec, null, 1)),
      text(JSON.stringify(spec)),
      text('{"kind":'),
      new Uint8Array([0x7b, 0xff, 0x7d]),
      text(`{"kind":"matvec","pad":"${'x'.repeat(TASK_SPEC_MAX_BYTES)}"}`),
      text('{"kind":7}'),
    ];
    for (const bytes of bad) assert.throws(() => decodeTaskSpec(registry, bytes), { name: 'TaskSpecError' });
  });

  it('rejects a spec whose kind differs from the on-chain kind, or is unknown', () => {
    const { bytes } = encodeTaskSpec(registry, spec);
    assert.throws(() => decodeTaskSpec(registry, bytes, kindIdOf('embed')), { name: 'TaskSpecError' });
    assert.throws(() => decodeTaskSpec(registry, text('{"kind":"no-such-kind"}')), {
      name: 'UnknownTaskKindError',
    });
  });
});
