import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Hex } from 'viem';
import { digestBytes } from '../core/digest.ts';
import { BaseError } from '../core/errors.ts';
import { decodeSafetensors } from '../core/safetensors.ts';
import type { DType } from '../core/tensor.ts';
import { modelDigest } from '../model/pieces/digest.ts';
import { checkpointOpening } from '../tasks/checkpointPieces.ts';
import { ModelNotFoundError } from './errors.ts';

/** Where the shipped models live (the repository's `models/`). */
export const DEFAULT_MODELS_DIR = 'models';

/** A safetensors model file as `concord model` shows it. */
export type LocalModel = {
  name: string;
  file: string;
  bytes: number;
  /** Content digest of the file, the id a task spec uses for it. */
  digest: Hex;
  /**
   * The model digest the chain records for it as a model version (see
   * `BlobStore.putModel`); `undefined` when the file is no Concord checkpoint.
   */
  modelDigest: Hex | undefined;
  parameters: number;
  tensors: { name: string; dtype: DType; shape: number[] }[];
  metadata: Record<string, string>;
};

/** The `*.safetensors` files in `dir` (none if it does not exist), by name. */
export function listModelFiles(dir = DEFAULT_MODELS_DIR): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.safetensors'))
    .sort()
    .map((n) => join(dir, n));
}

/** Reads one model: `nameOrFile` is a path, or a name (with or without `.safetensors`) in `dir`. */
export function readLocalModel(nameOrFile: string, dir = DEFAULT_MODELS_DIR): LocalModel {
  const candidates = [nameOrFile, join(dir, nameOrFile), join(dir, `${nameOrFile}.safetensors`)];
  const file = candidates.find((c) => statSync(c, { throwIfNoEntry: false })?.isFile());
  if (file === undefined) {
    throw new ModelNotFoundError(`No model '${nameOrFile}' (looked for ${candidates.join(', ')}).`, {
      hint: '`concord model list` shows the models in --dir.',
    });
  }
  const bytes = readFileSync(file);
  const decoded = decodeSafetensors(bytes);
  const tensors = Object.entries(decoded.tensors).map(([name, t]) => ({
    name,
    dtype: t.dtype,
    shape: [...t.shape],
  }));
  return {
    name: basename(file).replace(/\.safetensors$/, ''),
    file,
    bytes: bytes.length,
    digest: digestBytes(bytes),
    modelDigest: modelDigestOf(bytes),
    parameters: tensors.reduce((sum, t) => sum + t.shape.reduce((p, d) => p * d, 1), 0),
    tensors,
    metadata: decoded.metadata,
  };
}

/** The model digest of a checkpoint file, or `undefined` for other safetensors files. */
function modelDigestOf(bytes: Uint8Array): Hex | undefined {
  try {
    return modelDigest(checkpointOpening(bytes));
  } catch (err) {
    if (err instanceof BaseError) return undefined;
    throw err;
  }
}
