import { readFileSync } from 'node:fs';
import { type PreparedCheckpoint, prepareCheckpoint } from '../../client/modelCheckpoint.ts';
import { BaseError } from '../../core/errors.ts';
import { UsageError } from '../command.ts';

/**
 * The checkpoint in `file` (Concord's or Hugging Face GPT-2's, see
 * `prepareCheckpoint`); a file that cannot be read or is no usable
 * checkpoint is a UsageError (exit 2) naming the reason's error.
 */
export function readCheckpointFile(file: string): PreparedCheckpoint {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (cause) {
    throw new UsageError(`Cannot read ${file}: ${(cause as Error).message}`);
  }
  try {
    return prepareCheckpoint(bytes);
  } catch (cause) {
    if (!(cause instanceof BaseError)) throw cause;
    throw new UsageError(`${file} is not a usable checkpoint: ${cause.name}: ${cause.shortMessage}`, {
      cause,
      hint: 'Pass a Concord checkpoint or a Hugging Face GPT-2 model.safetensors (f32, f16 or bf16).',
    });
  }
}
