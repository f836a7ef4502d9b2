import { type Address, type Hex, isAddressEqual, type LocalAccount, recoverTypedDataAddress } from 'viem';
import type { MatrixName } from '../model/index.ts';
import { INFER_PROTOCOL } from './constants.ts';

/** One partial product a host vouches for: at which step, which shard of which matrix, and the digest of its rows. */
export type SignedItem = {
  readonly step: number;
  readonly layer: number;
  readonly matrix: MatrixName;
  readonly shard: number;
  /** `tensorDigest` of the rows as a 1-D f32 tensor. */
  readonly digest: Hex;
};

/**
 * What a host signs: the session and every item it answered since its last
 * signature (one response's items, or a whole token's when sealing per token).
 */
export type PartialProductsStatement = {
  readonly session: Hex;
  readonly items: readonly SignedItem[];
};

/** The EIP-712 types of a response statement (verifiable on chain with ecrecover). */
export const PARTIAL_PRODUCTS_TYPES = {
  PartialProducts: [
    { name: 'session', type: 'bytes32' },
    { name: 'items', type: 'Item[]' },
  ],
  Item: [
    { name: 'step', type: 'uint64' },
    { name: 'layer', type: 'int32' },
    { name: 'matrix', type: 'string' },
    { name: 'shard', type: 'uint32' },
    { name: 'digest', type: 'bytes32' },
  ],
} as const;

/**
 * Where host signatures count: the chain and, when settling on chain, the
 * InferenceSettlement contract (the EIP-712 verifyingContract).
 */
export type InferDomain = { readonly chainId: number; readonly settlement?: Address };

/** The EIP-712 domain: the protocol id, the chain (and settlement contract), so a signature counts nowhere else. */
export function partialProductsDomain({ chainId, settlement }: InferDomain) {
  return {
    name: INFER_PROTOCOL,
    version: '1',
    chainId,
    ...(settlement === undefined ? {} : { verifyingContract: settlement }),
  } as const;
}

/** What signing needs of an account (any viem LocalAccount fits). */
export type InferSigner = Pick<LocalAccount, 'address' | 'signTypedData'>;

function typed(domain: InferDomain, statement: PartialProductsStatement) {
  return {
    domain: partialProductsDomain(domain),
    types: PARTIAL_PRODUCTS_TYPES,
    primaryType: 'PartialProducts' as const,
    message: {
      session: statement.session,
      items: statement.items.map((i) => ({ ...i, step: BigInt(i.step) })),
    },
  };
}

/** EIP-712 typed data of a statement (domain, types, message), as signed and as hashed for receipts. */
export function partialProductsTypedData(domain: InferDomain, statement: PartialProductsStatement) {
  return typed(domain, statement);
}

/** Signs a statement with EIP-712: one signature binds (session, step, layer, matrix, shard, digest) of every item. */
export function signPartialProducts(
  signer: InferSigner,
  domain: InferDomain,
  statement: PartialProductsStatement,
): Promise<Hex> {
  return signer.signTypedData(typed(domain, statement));
}

/** Whether `signature` over `statement` in `domain` was made by `host`. */
export async function isSignedByHost(
  host: Address,
  domain: InferDomain,
  statement: PartialProductsStatement,
  signature: Hex,
): Promise<boolean> {
  try {
    const signer = await recoverTypedDataAddress({ ...typed(domain, statement), signature });
    return isAddressEqual(signer, host);
  } catch {
    return false;
  }
}
