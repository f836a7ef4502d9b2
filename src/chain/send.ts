import {
  type Abi,
  type Address,
  decodeErrorResult,
  encodeFunctionData,
  type Hex,
  TransactionNotFoundError,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
} from 'viem';
import { concordErrorsAbi } from './abi.ts';
import type { ConcordClients } from './client.ts';
import {
  ChainRevertError,
  ReceiptTimeoutError,
  TransactionDroppedError,
  TransactionOutOfGasError,
} from './errors.ts';

/** Per-transaction overrides any write action accepts. */
export type TxOptions = {
  /** Explicit nonce, for pipelining several transactions without waiting for each. */
  nonce?: number;
  /** Explicit gas limit; skips estimation (needed when an earlier pipelined transaction is pending). */
  gas?: bigint;
};

/** Copies only the {@link TxOptions} fields that are set. */
export function txOptions(o: TxOptions): TxOptions {
  return {
    ...(o.nonce === undefined ? {} : { nonce: o.nonce }),
    ...(o.gas === undefined ? {} : { gas: o.gas }),
  };
}

/** One contract call to send as a transaction. */
export type ContractCall = TxOptions & {
  address: Address;
  /** The contract ABI. Reverts decode with it plus every Concord contract's errors. */
  abi: Abi;
  functionName: string;
  args?: readonly unknown[];
};

const RECEIPT_TIMEOUT_MS = 120_000;

/** Sends a contract call, waits for its receipt, and throws {@link ChainRevertError} if it reverted. */
export async function sendContract(clients: ConcordClients, call: ContractCall): Promise<TransactionReceipt> {
  const hash = await submitContract(clients, call);
  return await waitForReceipt(clients, hash, call);
}

/**
 * Gas estimates get this much headroom (in percent): the cost of a call can
 * change between estimate and inclusion (e.g. Shares' checkpoints add a
 * storage slot when the block timestamp moves on).
 */
export const GAS_HEADROOM_PERCENT = 25n;

/** Gas above which the headroom is capped at the block gas limit (read once per client). */
const LARGE_GAS = 10_000_000n;
const blockGasLimits = new WeakMap<ConcordClients, bigint>();

/** `estimate` plus {@link GAS_HEADROOM_PERCENT}, but never above the block gas limit the node enforces. */
async function withHeadroom(clients: ConcordClients, estimate: bigint): Promise<bigint> {
  const padded = (estimate * (100n + GAS_HEADROOM_PERCENT)) / 100n;
  if (padded <= LARGE_GAS) return padded;
  let limit = blockGasLimits.get(clients);
  if (limit === undefined) {
    limit = (await clients.publicClient.getBlock()).gasLimit;
    blockGasLimits.set(clients, limit);
  }
  return padded < limit ? padded : limit > estimate ? limit : estimate;
}

/** Signs and submits a contract call without waiting for it to be mined; returns the hash. */
export async function submitContract(clients: ConcordClients, call: ContractCall): Promise<Hex> {
  const data = encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args ?? [] });
  try {
    // One fill (nonce, fees, gas estimate), headroom on the gas, then sign locally and send raw:
    // three round trips fewer than letting sendTransaction fill again.
    const { walletClient, account, chain } = clients;
    const request = await walletClient.prepareTransactionRequest({
      to: call.address,
      data,
      ...txOptions(call),
    });
    const gas = call.gas ?? (await withHeadroom(clients, request.gas));
    const serialized = await account.signTransaction({ ...request, gas, chainId: chain.id } as never);
    return await walletClient.sendRawTransaction({ serializedTransaction: serialized });
  } catch (err) {
    throw toRevertError(err, call) ?? err;
  }
}

/**
 * Polls for the receipt of `hash`. A reverted transaction is replayed as a
 * call on the state before its block to name the custom error.
 */
export async function waitForReceipt(
  clients: ConcordClients,
  hash: Hex,
  call?: ContractCall,
): Promise<TransactionReceipt> {
  const deadline = Date.now() + RECEIPT_TIMEOUT_MS;
  let unknown = 0;
  for (;;) {
    try {
      const receipt = await clients.publicClient.getTransactionReceipt({ hash });
      if (receipt.status === 'success') return receipt;
      throw await explainRevert(clients, receipt, call);
    } catch (err) {
      if (!(err instanceof TransactionReceiptNotFoundError)) throw err;
    }
    // A reorg can drop a transaction mined after it was sent: stop waiting once the node does not know it (twice).
    const known = await clients.publicClient.getTransaction({ hash }).then(
      () => true,
      (err: unknown) => {
        if (err instanceof TransactionNotFoundError) return false;
        throw err;
      },
    );
    unknown = known ? 0 : unknown + 1;
    if (unknown >= 2) {
      throw new TransactionDroppedError(`Transaction ${hash} was dropped before it got a receipt.`, {
        hint: 'A reorg removed it; the caller decides from the chain whether to send it again.',
      });
    }
    if (Date.now() > deadline) {
      throw new ReceiptTimeoutError(`No receipt for transaction ${hash} after ${RECEIPT_TIMEOUT_MS} ms.`, {
        hint: 'The node may not be mining (check its block time) or the transaction was dropped.',
      });
    }
    await new Promise((r) => setTimeout(r, clients.pollingInterval));
  }
}

async function explainRevert(
  clients: ConcordClients,
  receipt: TransactionReceipt,
  call: ContractCall | undefined,
): Promise<ChainRevertError | TransactionOutOfGasError> {
  const unknownRevert = new ChainRevertError(`Transaction ${receipt.transactionHash} reverted.`, {
    errorName: 'unknown',
    args: [],
    hint: 'Replay it with a call to see the reason.',
  });
  const tx = await clients.publicClient.getTransaction({ hash: receipt.transactionHash });
  if (receipt.gasUsed >= tx.gas) {
    return new TransactionOutOfGasError(
      `Transaction ${receipt.transactionHash} ran out of gas (limit ${tx.gas}).`,
      {
        hint: 'Give it a higher gas limit, or split a batch into smaller ones.',
      },
    );
  }
  if (!call) return unknownRevert;
  try {
    await clients.publicClient.call({
      account: clients.account,
      to: call.address,
      data: encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args ?? [] }),
      blockNumber: receipt.blockNumber - 1n,
    });
  } catch (err) {
    return toRevertError(err, call) ?? unknownRevert;
  }
  return unknownRevert;
}

/** Finds revert data in a viem error chain and decodes it with the call's ABI; undefined if none. */
export function toRevertError(
  err: unknown,
  call: Pick<ContractCall, 'abi' | 'functionName'>,
): ChainRevertError | undefined {
  const data = findRevertData(err);
  if (data === undefined) return undefined;
  let errorName = 'unknown';
  let args: readonly unknown[] = [];
  try {
    const decoded = decodeErrorResult({ abi: [...call.abi, ...concordErrorsAbi], data });
    errorName = decoded.errorName;
    args = decoded.args ?? [];
  } catch {
    // Not in the ABI: keep the selector in the message.
  }
  const shown = args.map((a) => (typeof a === 'bigint' ? a.toString() : JSON.stringify(a))).join(', ');
  return new ChainRevertError(`${call.functionName} reverted with ${errorName}(${shown}).`, {
    errorName,
    args,
    details: errorName === 'unknown' ? `revert data ${data.slice(0, 74)}` : undefined,
    hint: 'See docs/ledger.md for when each contract error is raised.',
    cause: err,
  });
}

function findRevertData(err: unknown): Hex | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 12; depth++) {
    for (const key of ['raw', 'data'] as const) {
      const v = (e as Record<string, unknown>)[key];
      if (typeof v === 'string' && /^0x[0-9a-fA-F]{8}/.test(v)) return v as Hex;
      if (v && typeof v === 'object' && typeof (v as { data?: unknown }).data === 'string') {
        const inner = (v as { data: string }).data;
        if (/^0x[0-9a-fA-F]{8}/.test(inner)) return inner as Hex;
      }
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
