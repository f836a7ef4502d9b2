import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { digestBytes } from '../core/digest.ts';
import { encodeSafetensors } from '../core/safetensors.ts';
import { modelDigest } from '../model/pieces/digest.ts';
import { checkpointOpening } from '../tasks/checkpointPieces.ts';
import { tinyCheckpoint } from '../tasks/mlFixtures.ts';
import { listModelFiles, readLocalModel } from './localModels.ts';

let dir: string;
let bytes: Uint8Array;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'concord-models-'));
  bytes = encodeSafetensors(
    {
      'wte.weight': { dtype: 'f32', shape: [5, 3], data: new Float32Array(15).fill(0.5) },
      'ln_f.bias': { dtype: 'f32', shape: [3], data: new Float32Array(3) },
    },
    { 'concord.gpt.config': '{"layers":1}' },
  );
  writeFileSync(join(dir, 'tiny.safetensors'), bytes);
  writeFileSync(join(dir, 'notes.txt'), 'not a model');
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('local models', () => {
  it('lists only safetensors files, and none for a missing directory', () => {
    assert.deepEqual(listModelFiles(dir), [join(dir, 'tiny.safetensors')]);
    assert.deepEqual(listModelFiles(join(dir, 'nope')), []);
  });

  it('reads a model by name: parameters, tensors, metadata and the file digest', () => {
    const model = readLocalModel('tiny', dir);
    assert.equal(model.parameters, 18);
    assert.equal(model.digest, digestBytes(bytes));
    assert.equal(model.modelDigest, undefined, 'no Concord checkpoint, no model digest');
    assert.deepEqual(
      model.tensors.map((t) => [t.name, t.shape]),
      [
        ['ln_f.bias', [3]],
        ['wte.weight', [5, 3]],
      ],
    );
    assert.equal(model.metadata['concord.gpt.config'], '{"layers":1}');
    assert.equal(readLocalModel(join(dir, 'tiny.safetensors')).name, 'tiny');
  });

  it('gives a checkpoint the model digest it is registered under', () => {
    const checkpoint = tinyCheckpoint();
    const file = join(dir, 'checkpoint.bin');
    writeFileSync(file, checkpoint);
    const model = readLocalModel(file);
    assert.equal(model.digest, digestBytes(checkpoint));
    assert.equal(model.modelDigest, modelDigest(checkpointOpening(checkpoint)));
  });

  it('names a missing model and where it looked', () => {
    assert.throws(() => readLocalModel('absent', dir), { name: 'ModelNotFoundError' });
  });
});
