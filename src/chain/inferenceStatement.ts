import {
  type Address,
  encodeAbiParameters,
  getAddress,
  type Hex,
  hashTypedData,
  keccak256,
  type LocalAccount,
  toBytes,
  verifyTypedData,
} from 'viem';
import { isBytes32 } from '../core/bytes32.ts';
import { BaseError } from '../core/errors.ts';

/** The distributed-inference protocol id; also the EIP-712 domain name of host signatures. */
export const INFERENCE_PROTOCOL_ID = '/concord/infer/1.0.0';

/**
 * One partial product a host answered: `input` the digest of the activations
 * it was given, `digest` that of its rows of `(layer, matrix, shard)`, at
 * `step`, the index of the matrix product within the session — the same for
 * every host asked for that product. Only answers to the same input can
 * contradict each other.
 */
export type StatementItem = {
  step: number;
  layer: number;
  matrix: string;
  shard: number;
  input: Hex;
  digest: Hex;
};

/**
 * What a host signs: the session (the request's session id) and a batch of
 * its answers (one response's, or a whole token's). One signature per batch,
 * however many items it carries.
 */
export type PartialProductsStatement = { session: Hex; items: readonly StatementItem[] };

/** A statement with its host and the host's EIP-712 signature. */
export type SignedStatement = { host: Address; statement: PartialProductsStatement; signature: Hex };

/**
 * The signature domain of host statements: name = the protocol id, version
 * `1`, the chain id and the InferenceSettlement contract (the EIP-712
 * verifyingContract), so a signature counts on no other chain, deployment or
 * protocol. `settlement` is left out only by sessions never settled on chain;
 * their signatures then count on no settlement contract.
 */
export type InferenceDomain = { chainId: number; settlement?: Address };

/** An item as the contract takes it: the matrix name hashed (`keccak256(name)`, as EIP-712 hashes strings). */
export type ChainItem = { step: bigint; layer: number; matrix: Hex; shard: number; input: Hex; digest: Hex };

/** A statement field is out of range (int32 layer, uint32 shard, uint64 step, bytes32 hashes). */
export class InvalidStatementError extends BaseError {
  override name = 'InvalidStatementError';
}

/** EIP-712 types of a statement (`InferenceSettlement.PARTIAL_PRODUCTS_TYPEHASH`). */
export const partialProductsTypes = {
  PartialProducts: [
    { name: 'session', type: 'bytes32' },
    { name: 'items', type: 'Item[]' },
  ],
  Item: [
    { name: 'step', type: 'uint64' },
    { name: 'layer', type: 'int32' },
    { name: 'matrix', type: 'string' },
    { name: 'shard', type: 'uint32' },
    { name: 'input', type: 'bytes32' },
    { name: 'digest', type: 'bytes32' },
  ],
} as const;

/** Throws {@link InvalidStatementError} unless every field fits its Solidity type. */
export function checkStatement(statement: PartialProductsStatement): void {
  const int = (v: number, min: number, max: number) => Number.isSafeInteger(v) && v >= min && v <= max;
  const bad = (what: string) =>
    new InvalidStatementError(`Statement ${what} is out of range.`, {
      hint: 'step: 0..2^53-1, layer: int32, shard: uint32, session, input and digests: 32 bytes of hex.',
    });
  if (!isBytes32(statement.session)) throw bad(`session '${statement.session}'`);
  for (const item of statement.items) {
    if (!int(item.step, 0, Number.MAX_SAFE_INTEGER)) throw bad(`step ${item.step}`);
    if (!int(item.layer, -(2 ** 31), 2 ** 31 - 1)) throw bad(`layer ${item.layer}`);
    if (!int(item.shard, 0, 2 ** 32 - 1)) throw bad(`shard ${item.shard}`);
    if (!isBytes32(item.input)) throw bad(`input '${item.input}'`);
    if (!isBytes32(item.digest)) throw bad(`digest '${item.digest}'`);
  }
}

/** The typed data a host signs for `statement`. */
export function statementTypedData(statement: PartialProductsStatement, domain: InferenceDomain) {
  checkStatement(statement);
  return {
    domain: {
      name: INFERENCE_PROTOCOL_ID,
      version: '1',
      chainId: domain.chainId,
      ...(domain.settlement === undefined ? {} : { verifyingContract: domain.settlement }),
    },
    types: partialProductsTypes,
    primaryType: 'PartialProducts',
    message: {
      session: statement.session,
      items: statement.items.map((i) => ({ ...i, step: BigInt(i.step) })),
    },
  } as const;
}

/** The EIP-712 digest of `statement` (equals `InferenceSettlement.hashStatement`). */
export function hashStatement(statement: PartialProductsStatement, domain: InferenceDomain): Hex {
  return hashTypedData(statementTypedData(statement, domain));
}

/** A host's signature of its answer with its EVM key. */
export async function signStatement(
  host: Pick<LocalAccount, 'signTypedData'>,
  statement: PartialProductsStatement,
  domain: InferenceDomain,
): Promise<Hex> {
  return await host.signTypedData(statementTypedData(statement, domain));
}

/** Whether `signed.signature` is `signed.host`'s signature of `signed.statement` in `domain`. */
export async function verifyStatement(signed: SignedStatement, domain: InferenceDomain): Promise<boolean> {
  const typed = statementTypedData(signed.statement, domain);
  try {
    return await verifyTypedData({ address: getAddress(signed.host), signature: signed.signature, ...typed });
  } catch {
    return false; // a malformed signature is simply not a valid one
  }
}

/**
 * The Merkle leaf of a signed answer, double-hashed as OpenZeppelin recommends:
 * `keccak256(keccak256(abi.encode(host, hashStatement, keccak256(signature))))`
 * (equals `InferenceSettlement.statementLeaf`).
 */
export function statementLeaf(signed: SignedStatement, domain: InferenceDomain): Hex {
  const inner = encodeAbiParameters(
    [{ type: 'address' }, { type: 'bytes32' }, { type: 'bytes32' }],
    [signed.host, hashStatement(signed.statement, domain), keccak256(signed.signature)],
  );
  return keccak256(keccak256(inner));
}

/** `keccak256(name)`: how the contract names a matrix. */
export function matrixId(name: string): Hex {
  return keccak256(toBytes(name));
}

/** An item as the contract takes it. */
export function toChainItem(item: StatementItem): ChainItem {
  return {
    step: BigInt(item.step),
    layer: item.layer,
    matrix: matrixId(item.matrix),
    shard: item.shard,
    input: item.input,
    digest: item.digest,
  };
}
