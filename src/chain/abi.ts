import type { Abi } from 'viem';
import * as contracts from '../../generated/contracts/index.ts';

/** One custom-error item of an ABI. */
export type AbiError = Extract<Abi[number], { type: 'error' }>;

/**
 * Every custom error of every Concord contract (and of the OpenZeppelin code
 * they inherit), deduplicated by signature. Reverts that bubble up through
 * another contract (a token transfer inside TaskMarket) decode with this.
 */
export const concordErrorsAbi: readonly AbiError[] = collectErrors(
  Object.entries(contracts)
    .filter(([name]) => name.endsWith('Abi'))
    .map(([, abi]) => abi as Abi),
);

function collectErrors(abis: readonly Abi[]): AbiError[] {
  const seen = new Map<string, AbiError>();
  for (const abi of abis) {
    for (const item of abi) {
      if (item.type !== 'error') continue;
      const signature = `${item.name}(${item.inputs.map((i) => i.type).join(',')})`;
      if (!seen.has(signature)) seen.set(signature, item);
    }
  }
  return [...seen.values()];
}
