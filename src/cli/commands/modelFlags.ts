import { type Hex, isHex } from 'viem';
import { modelCount } from '../../chain/actions/modelCount.ts';
import type { ConcordContext } from '../../chain/context.ts';
import { type CommandContext, UsageError } from '../command.ts';

/** The `--model ID` of a command: a ModelRegistry id, a whole number above 0. */
export function modelIdFlag(command: string, values: CommandContext['values']): bigint {
  const id = values.model;
  if (typeof id !== 'string' || !/^[1-9][0-9]{0,30}$/.test(id)) {
    throw new UsageError(`concord ${command} needs --model ID, a model id above 0.`, {
      hint: '`concord model create` prints the id of a new model.',
    });
  }
  return BigInt(id);
}

/** A 32-byte hex flag value such as a digest, or undefined when absent. */
export function hex32Flag(values: CommandContext['values'], flag: string): Hex | undefined {
  const v = values[flag];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !isHex(v) || v.length !== 66) {
    throw new UsageError(`--${flag} takes a 0x-prefixed 32-byte hex digest, not '${String(v)}'.`);
  }
  return v.toLowerCase() as Hex;
}

/** UsageError unless `modelId` is registered (a read of a missing model would revert with a raw chain error). */
export async function requireModel(
  reader: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  modelId: bigint,
): Promise<void> {
  const count = await modelCount(reader);
  if (modelId > count) {
    throw new UsageError(`There is no model ${modelId}: the registry holds models 1..${count}.`, {
      hint: 'Register one with `concord model create FILE`.',
    });
  }
}
