import { type Address, getAddress, type Hex, hashStruct, type LocalAccount, verifyTypedData } from 'viem';

/**
 * What a querier asks a gateway for. Its EIP-712 struct hash is the session
 * id, and the querier pays by signing one AccessCredits voucher whose nonce is
 * that id ({@link voucherOf}): one signature binds model, version, price and cap.
 */
export type InferenceRequest = {
  querier: Address;
  gateway: Address;
  modelId: bigint;
  versionIndex: bigint;
  /** Credits debited per generated token. */
  creditsPerToken: bigint;
  /** The most the gateway may debit for the session. */
  maxCredits: bigint;
  /** Any value the querier never reuses with otherwise identical fields. */
  nonce: bigint;
  /** Unix seconds after which the session can no longer be settled. */
  deadline: bigint;
};

/** The AccessCredits voucher a querier signs (its `Voucher` type). */
export type CreditsVoucher = {
  querier: Address;
  spender: Address;
  maxCredits: bigint;
  nonce: bigint;
  deadline: bigint;
};

/** Where vouchers are verified: the chain and the AccessCredits contract. */
export type CreditsDomain = { chainId: number; accessCredits: Address };

/** EIP-712 types of {@link InferenceRequest} (`InferenceSettlement.REQUEST_TYPEHASH`). */
export const requestTypes = {
  Request: [
    { name: 'querier', type: 'address' },
    { name: 'gateway', type: 'address' },
    { name: 'modelId', type: 'uint256' },
    { name: 'versionIndex', type: 'uint256' },
    { name: 'creditsPerToken', type: 'uint256' },
    { name: 'maxCredits', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ],
} as const;

/** EIP-712 types of the AccessCredits voucher. */
export const voucherTypes = {
  Voucher: [
    { name: 'querier', type: 'address' },
    { name: 'spender', type: 'address' },
    { name: 'maxCredits', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ],
} as const;

/** The session id of a request: its EIP-712 struct hash (equals `InferenceSettlement.sessionIdOf`). */
export function sessionIdOf(request: InferenceRequest): Hex {
  return hashStruct({ data: request, primaryType: 'Request', types: requestTypes });
}

/** The voucher that pays for `request`: spender = gateway, nonce = the session id. */
export function voucherOf(request: InferenceRequest): CreditsVoucher {
  return {
    querier: request.querier,
    spender: request.gateway,
    maxCredits: request.maxCredits,
    nonce: BigInt(sessionIdOf(request)),
    deadline: request.deadline,
  };
}

/** The typed data a querier signs for `request` (a voucher in the AccessCredits domain). */
export function requestTypedData(request: InferenceRequest, domain: CreditsDomain) {
  return {
    domain: {
      name: 'ConcordAccessCredits',
      version: '1',
      chainId: domain.chainId,
      verifyingContract: domain.accessCredits,
    },
    types: voucherTypes,
    primaryType: 'Voucher',
    message: voucherOf(request),
  } as const;
}

/** The querier's signature of `request`, which `settleSession` spends. */
export async function signRequest(
  querier: Pick<LocalAccount, 'signTypedData'>,
  request: InferenceRequest,
  domain: CreditsDomain,
): Promise<Hex> {
  return await querier.signTypedData(requestTypedData(request, domain));
}

/** Whether `signature` is `request.querier`'s signature of `request` (a gateway checks before serving). */
export async function verifyRequest(
  request: InferenceRequest,
  signature: Hex,
  domain: CreditsDomain,
): Promise<boolean> {
  return await verifyTypedData({
    address: getAddress(request.querier),
    signature,
    ...requestTypedData(request, domain),
  });
}
