import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestBytes } from '../core/digest.ts';
import { GptParams, makeGptConfig } from '../model/index.ts';
import { modelDigest, pieceTreeOf } from '../model/pieces/index.ts';
import { writeCheckpoint } from './checkpoint.ts';
import { checkpointOpening } from './checkpointPieces.ts';

const config = makeGptConfig({ vocabSize: 13, contextLength: 6, dModel: 8, nHeads: 2, nLayers: 2 });
const params = GptParams.init(config, 21);
const metadata = { tokenizer: 'char' };

describe('checkpointOpening', () => {
  it('opens a checkpoint: the pieces root of its weights and metadata, and the sha256 of the file', () => {
    const bytes = writeCheckpoint({ params, metadata });
    const opening = checkpointOpening(bytes);
    assert.deepEqual(checkpointOpening(bytes.slice()), opening);
    assert.equal(opening.fileDigest, digestBytes(bytes));
    assert.equal(opening.root, pieceTreeOf(params, { format: 'pt', ...metadata }).root);
    const digest = modelDigest(opening);
    assert.match(digest, /^0x[0-9a-f]{64}$/);
    assert.notEqual(digest, digestBytes(bytes));
    assert.notEqual(digest, opening.root);
  });

  it('leaves the optimizer state out of the root but not out of the file digest', () => {
    const plain = writeCheckpoint({ params, metadata });
    const n = params.flat.length;
    const optimizer = { m: new Float32Array(n).fill(0.25), v: new Float32Array(n).fill(0.5), step: 3 };
    const withState = writeCheckpoint({ params, metadata, optimizer });
    const [a, b] = [checkpointOpening(plain), checkpointOpening(withState)];
    assert.equal(a.root, b.root);
    assert.notEqual(a.fileDigest, b.fileDigest);
    assert.notEqual(modelDigest(a), modelDigest(b));
  });

  it('throws for bytes that are no checkpoint', () => {
    assert.throws(() => checkpointOpening(new Uint8Array([1, 2, 3])));
  });
});

describe('modelDigest', () => {
  it('binds the root and the file digest, and rejects values that are not 32-byte hex', () => {
    const root = digestBytes(new Uint8Array([1]));
    const fileDigest = digestBytes(new Uint8Array([2]));
    const d = modelDigest({ root, fileDigest });
    assert.notEqual(modelDigest({ root: fileDigest, fileDigest: root }), d);
    assert.equal(modelDigest({ root: root.toUpperCase().replace('0X', '0x') as typeof root, fileDigest }), d);
    assert.throws(() => modelDigest({ root: '0x12', fileDigest }), { name: 'InvalidBytes32Error' });
  });
});
