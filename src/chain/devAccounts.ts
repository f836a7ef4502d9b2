import type { Address, Hex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { DevAccountIndexError } from './errors.ts';

/** Anvil's well-known default mnemonic: its accounts and keys are public, for development only. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

/** A dev account of the anvil mnemonic: public, for local development and tests only. */
export type DevAccount = { address: Address; privateKey: Hex };

const cache = new Map<number, DevAccount>();

/** The i-th account (BIP-44 path m/44'/60'/0'/0/i) of anvil's default mnemonic. */
export function devAccount(i: number): DevAccount {
  if (!Number.isInteger(i) || i < 0 || i >= 2 ** 31) {
    throw new DevAccountIndexError(`Dev account index ${i} is not a non-negative integer below 2^31.`, {
      hint: 'Use 0..(accounts-1) of the anvil you started.',
    });
  }
  let account = cache.get(i);
  if (!account) {
    const hd = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i });
    // A key derived from a mnemonic always has its private half.
    const key = hd.getHdKey().privateKey!;
    account = { address: hd.address, privateKey: `0x${Buffer.from(key).toString('hex')}` };
    cache.set(i, account);
  }
  return account;
}
