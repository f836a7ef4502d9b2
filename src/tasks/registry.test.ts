import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinTaskKinds, createTaskKindRegistry } from './builtin.ts';
import { defineTaskKind, kindIdOf } from './kind.ts';
import { matvecKind } from './matvec.ts';
import { TaskKindRegistry } from './registry.ts';

const echo = defineTaskKind<string>({
  name: 'echo',
  parseSpec: (json) => String(json),
  inputs: () => [],
  run: async (spec) => new TextEncoder().encode(spec),
});

describe('TaskKindRegistry', () => {
  it('finds kinds by name and by kind id in any hex case', () => {
    const registry = new TaskKindRegistry([matvecKind, echo]);
    assert.equal(registry.get('matvec'), matvecKind);
    assert.equal(registry.get(matvecKind.kindId), matvecKind);
    assert.equal(registry.get(kindIdOf('echo').toUpperCase().replace('0X', '0x')), echo);
    assert.ok(registry.has('echo'));
    assert.deepEqual(registry.names(), ['echo', 'matvec']);
  });

  it('throws UnknownTaskKindError for an unknown name or id', () => {
    const registry = new TaskKindRegistry([matvecKind]);
    assert.throws(() => registry.get('train'), { name: 'UnknownTaskKindError' });
    assert.throws(() => registry.get(kindIdOf('train')), { name: 'UnknownTaskKindError' });
    assert.equal(registry.has('train'), false);
  });

  it('refuses a second kind with the same name', () => {
    const registry = new TaskKindRegistry([matvecKind]);
    assert.throws(() => registry.register(matvecKind), { name: 'DuplicateTaskKindError' });
  });

  it('the default registry holds the built-in kinds', () => {
    const registry = createTaskKindRegistry();
    assert.deepEqual(registry.names(), builtinTaskKinds.map((k) => k.name).sort());
    assert.ok(registry.has('matvec'));
  });
});
