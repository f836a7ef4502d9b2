import { keccak_256 } from '@noble/hashes/sha3.js';
import {
  type Address,
  bytesToHex,
  encodeAbiParameters,
  getAddress,
  type Hex,
  hexToBytes,
  isAddressEqual,
  keccak256,
  recoverAddress,
  toBytes,
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

const encoder = new TextEncoder();
const PARTIAL_PRODUCTS_TYPEHASH = keccak_256(
  encoder.encode(
    'PartialProducts(bytes32 session,Item[] items)Item(uint64 step,int32 layer,string matrix,uint32 shard,bytes32 input,bytes32 digest)',
  ),
);
const ITEM_TYPEHASH = keccak_256(
  encoder.encode('Item(uint64 step,int32 layer,string matrix,uint32 shard,bytes32 input,bytes32 digest)'),
);
/** keccak256 of each matrix name seen (a handful per model; at most {@link MAX_CACHED_NAMES}). */
const matrixHashes = new Map<string, Uint8Array>();
/** Names cached at most: a peer's statement may carry any name, so the caches stay bounded. */
const MAX_CACHED_NAMES = 4096;
/** Per domain (chain id and contract), its EIP-712 separator. */
const separators = new Map<string, Uint8Array>();

/**
 * The EIP-712 digest of `statement` (equals `InferenceSettlement.hashStatement`
 * and viem's `hashTypedData(statementTypedData(...))`, which tests check):
 * encoded straight into bytes with one keccak per item — hosts, gateways and
 * receipts hash every answer of a session, and the generic typed-data encoder
 * was the largest CPU cost of serving a small model.
 */
export function hashStatement(statement: PartialProductsStatement, domain: InferenceDomain): Hex {
  const key = `${domain.chainId}/${domain.settlement ?? ''}`;
  const known = statementHashes.get(statement);
  if (known?.key === key) return known.hash;
  const hash = encodeStatementHash(statement, domain, key);
  statementHashes.set(statement, { key, hash });
  return hash;
}

/**
 * The digest of each statement object hashed: a gateway verifies an answer and later puts it
 * into its receipt's Merkle tree, and the hash would otherwise be computed twice. Statements
 * are never changed once made (a host's is built to be signed, a gateway's parsed from the wire).
 */
const statementHashes = new WeakMap<PartialProductsStatement, { key: string; hash: Hex }>();

function encodeStatementHash(statement: PartialProductsStatement, domain: InferenceDomain, key: string): Hex {
  checkStatement(statement);
  const items = new Uint8Array(32 * statement.items.length);
  const item = new Uint8Array(7 * 32);
  const view = new DataView(item.buffer);
  item.set(ITEM_TYPEHASH, 0);
  statement.items.forEach((it, i) => {
    item.fill(0, 32, 96);
    view.setBigUint64(56, BigInt(it.step));
    item.fill(it.layer < 0 ? 0xff : 0, 64, 92); // int32, sign-extended to 32 bytes
    view.setInt32(92, it.layer);
    item.set(matrixHash(it.matrix), 96);
    item.fill(0, 128, 160);
    view.setUint32(156, it.shard);
    item.set(hexToBytes(it.input), 160);
    item.set(hexToBytes(it.digest), 192);
    items.set(keccak_256(item), 32 * i);
  });
  const struct = new Uint8Array(96);
  struct.set(PARTIAL_PRODUCTS_TYPEHASH, 0);
  struct.set(hexToBytes(statement.session), 32);
  struct.set(keccak_256(items), 64);
  const message = new Uint8Array(66);
  message[0] = 0x19;
  message[1] = 0x01;
  message.set(separator(domain, key), 2);
  message.set(keccak_256(struct), 34);
  return bytesToHex(keccak_256(message));
}

function matrixHash(name: string): Uint8Array {
  let h = matrixHashes.get(name);
  if (!h) {
    h = keccak_256(encoder.encode(name));
    if (matrixHashes.size < MAX_CACHED_NAMES) matrixHashes.set(name, h);
  }
  return h;
}

function separator(domain: InferenceDomain, key: string): Uint8Array {
  let sep = separators.get(key);
  if (!sep) {
    const withContract = domain.settlement !== undefined;
    const type = `EIP712Domain(string name,string version,uint256 chainId${withContract ? ',address verifyingContract' : ''})`;
    const fields = [
      { type: 'bytes32' },
      { type: 'bytes32' },
      { type: 'bytes32' },
      { type: 'uint256' },
      ...(withContract ? [{ type: 'address' }] : []),
    ];
    const values = [
      keccak256(toBytes(type)),
      keccak256(toBytes(INFERENCE_PROTOCOL_ID)),
      keccak256(toBytes('1')),
      BigInt(domain.chainId),
      ...(withContract ? [domain.settlement!] : []),
    ];
    sep = hexToBytes(keccak256(encodeAbiParameters(fields, values)));
    separators.set(key, sep);
  }
  return sep;
}

/** What signs statements: an EVM key that signs a 32-byte hash (any viem LocalAccount). */
export type StatementSigner = { readonly address: Address; sign(parameters: { hash: Hex }): Promise<Hex> };

/** A host's signature of its answer with its EVM key (over `hashStatement`, as EIP-712 signs). */
export async function signStatement(
  host: Pick<StatementSigner, 'sign'>,
  statement: PartialProductsStatement,
  domain: InferenceDomain,
): Promise<Hex> {
  return await host.sign({ hash: hashStatement(statement, domain) });
}

/** Whether `signed.signature` is `signed.host`'s signature of `signed.statement` in `domain`. */
export async function verifyStatement(signed: SignedStatement, domain: InferenceDomain): Promise<boolean> {
  try {
    const hash = hashStatement(signed.statement, domain);
    return isAddressEqual(
      await recoverAddress({ hash, signature: signed.signature }),
      getAddress(signed.host),
    );
  } catch {
    return false; // a malformed signature (or statement) is simply not a valid one
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
  let id = matrixIds.get(name);
  if (id === undefined) {
    id = bytesToHex(matrixHash(name));
    if (matrixIds.size < MAX_CACHED_NAMES) matrixIds.set(name, id);
  }
  return id;
}

/** {@link matrixId} of each matrix name seen (receipts name every answer's matrix). */
const matrixIds = new Map<string, Hex>();

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
