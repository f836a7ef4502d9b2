import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Abi,
  type Address,
  decodeErrorResult,
  encodeFunctionData,
  type Hex,
  keccak256,
  parseTransaction,
  TransactionNotFoundError,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
} from 'viem';
import { concordErrorsAbi } from './abi.ts';
import type { ConcordClients } from './client.ts';
import {
  ChainRevertError,
  NonceTakenError,
  ReceiptTimeoutError,
  TransactionDroppedError,
  TransactionOutOfGasError,
  TransactionSendError,
} from './errors.ts';
import { errorLine, isTransientRpcError } from './rpcErrors.ts';

/** Per-transaction overrides any write action accepts. */
export type TxOptions = {
  /** Explicit nonce, for pipelining several transactions without waiting for each. */
  nonce?: number;
  /** Explicit gas limit; skips estimation (needed when an earlier pipelined transaction is pending). */
  gas?: bigint;
  /**
   * Called once the endpoint holds the signed transaction, before its receipt is awaited
   * (a node journals what it sent, so a crash while waiting loses nothing).
   */
  onSent?: (sent: { hash: Hex; nonce: number }) => void;
};

/** Copies only the {@link TxOptions} fields that are set. */
export function txOptions(o: TxOptions): TxOptions {
  return {
    ...(o.nonce === undefined ? {} : { nonce: o.nonce }),
    ...(o.gas === undefined ? {} : { gas: o.gas }),
    ...(o.onSent === undefined ? {} : { onSent: o.onSent }),
  };
}

/** One contract call to send as a transaction. */
export type ContractCall = TxOptions & {
  address: Address;
  /** The contract ABI. Reverts decode with it plus every Concord contract's errors. */
  abi: Abi;
  functionName: string;
  args?: readonly unknown[];
  /**
   * Run the call with `eth_call` on the pending state first, so a call that
   * another transaction already made fail (a race for `finalize` or
   * `drawCommittee` lost to a node whose transaction is in the pool) throws
   * its {@link ChainRevertError} without spending gas.
   */
  simulate?: boolean;
};

const RECEIPT_TIMEOUT_MS = 120_000;
/** How long the endpoint must not know a sent transaction before it counts as dropped. */
const DROPPED_AFTER_MS = 2_000;
/**
 * How long a sent transaction may wait behind a nonce missing from the chain before it counts as
 * dropped. Concord sends one transaction at a time and waits for its receipt, so a gap means a reorg
 * dropped an earlier one; the wait allows for a re-included earlier transaction about to be mined again.
 */
const GAPPED_AFTER_MS = 5_000;

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

/**
 * How a signed transaction is re-sent after transport failures: up to 8
 * attempts, 200 ms doubling to 4 s apart (about 14 s in all).
 */
const SEND_RETRY = { attempts: 8, firstDelayMs: 200, maxDelayMs: 4000 } as const;

/** Node answers to a re-sent transaction meaning "this nonce or these bytes were seen already". */
const ALREADY_SEEN =
  /already known|known transaction|already imported|already exists|nonce too low|replacement transaction underpriced/i;

/**
 * Signs and submits a contract call without waiting for it to be mined;
 * returns the hash. The call is filled (nonce from the pending state, fees,
 * gas estimate) and signed once; transport failures re-send the same bytes,
 * so a lost answer never makes a second transaction. See "RPC faults" in
 * docs/chain.md.
 */
export async function submitContract(clients: ConcordClients, call: ContractCall): Promise<Hex> {
  const data = encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args ?? [] });
  try {
    if (call.simulate) {
      await clients.publicClient.call({
        account: clients.account,
        to: call.address,
        data,
        blockTag: 'pending',
      });
    }
    for (let signed = 0; ; signed++) {
      const serialized = await signCall(clients, call, data);
      const hash = keccak256(serialized);
      if (await sendRaw(clients, serialized, hash)) {
        call.onSent?.({ hash, nonce: parseTransaction(serialized).nonce ?? 0 });
        return hash;
      }
      // Our nonce went to another transaction, so these bytes can never be mined: sign again
      // with a fresh nonce, once, unless the caller chose the nonce.
      if (call.nonce !== undefined || signed > 0) {
        throw new NonceTakenError(`The nonce of ${call.functionName} was used by another transaction.`, {
          details: `transaction ${hash}`,
          hint: 'Another process sends from the same account; give each sender its own key.',
        });
      }
    }
  } catch (err) {
    throw toRevertError(err, call) ?? err;
  }
}

/** One fill (nonce, fees, gas estimate), headroom on the gas, then a local signature. */
async function signCall(clients: ConcordClients, call: ContractCall, data: Hex): Promise<Hex> {
  // Three round trips fewer than letting sendTransaction fill again.
  const { walletClient, account, chain } = clients;
  const request = await walletClient.prepareTransactionRequest({
    to: call.address,
    data,
    ...(call.nonce === undefined ? {} : { nonce: call.nonce }),
    ...(call.gas === undefined ? {} : { gas: call.gas }),
  });
  const gas = call.gas ?? (await withHeadroom(clients, request.gas));
  return await account.signTransaction({ ...request, gas, chainId: chain.id } as never);
}

/**
 * Sends signed bytes, re-sending them after transport failures. True once
 * the node has them: accepted, or refused as already known / nonce used
 * while our hash is on the node. False when the nonce went to another
 * transaction. Throws {@link TransactionSendError} when every attempt failed.
 */
async function sendRaw(clients: ConcordClients, serialized: Hex, hash: Hex): Promise<boolean> {
  for (let attempt = 1, delay: number = SEND_RETRY.firstDelayMs; ; attempt++) {
    try {
      await clients.walletClient.request(
        { method: 'eth_sendRawTransaction', params: [serialized] },
        { retryCount: 0 },
      );
      return true;
    } catch (err) {
      if (ALREADY_SEEN.test(errorLine(err)) || ALREADY_SEEN.test(String(err)))
        return await isKnown(clients, hash);
      if (!isTransientRpcError(err)) throw err;
      if (attempt >= SEND_RETRY.attempts) {
        throw new TransactionSendError(`Could not send transaction ${hash} after ${attempt} attempts.`, {
          cause: err,
          details: errorLine(err),
          hint: 'The RPC endpoint is failing; the transaction may still be mined. The next send reads the pending nonce again.',
        });
      }
      await sleep(delay);
      delay = Math.min(delay * 2, SEND_RETRY.maxDelayMs);
    }
  }
}

/** Whether the node knows the transaction `hash` (pending or mined). */
async function isKnown(clients: ConcordClients, hash: Hex): Promise<boolean> {
  try {
    await clients.publicClient.getTransaction({ hash });
    return true;
  } catch (err) {
    if (err instanceof TransactionNotFoundError) return false;
    throw err;
  }
}

/**
 * Polls for the receipt of `hash`; transport failures count as "not yet".
 * Throws TransactionDroppedError when the endpoint no longer knows the
 * transaction, or when it waits behind a nonce the chain no longer has for
 * `gappedAfterMs` (default 5 s).
 * A reverted transaction is replayed as a call on the state before its
 * block and, if it succeeds there, on the state after it (a transaction
 * earlier in the same block, e.g. another node's `finalize`, made it fail)
 * to name the custom error.
 */
export async function waitForReceipt(
  clients: ConcordClients,
  hash: Hex,
  call?: ContractCall,
  options: { gappedAfterMs?: number } = {},
): Promise<TransactionReceipt> {
  const gappedAfterMs = options.gappedAfterMs ?? GAPPED_AFTER_MS;
  const deadline = Date.now() + RECEIPT_TIMEOUT_MS;
  let unknownSince: number | undefined;
  let gapSince: number | undefined;
  for (;;) {
    try {
      const receipt = await clients.publicClient.getTransactionReceipt({ hash });
      if (receipt.status === 'success') return receipt;
      throw await explainRevert(clients, receipt, call);
    } catch (err) {
      if (!(err instanceof TransactionReceiptNotFoundError || isTransientRpcError(err))) throw err;
    }
    // A reorg can drop a transaction mined after it was sent: stop waiting once the node has not known it
    // for a while (a load-balanced endpoint may briefly answer from a backend that has not seen it yet).
    const pending = await clients.publicClient.getTransaction({ hash }).then(
      (tx) => tx,
      (err: unknown) => {
        if (err instanceof TransactionNotFoundError) return null;
        if (isTransientRpcError(err)) return undefined;
        throw err;
      },
    );
    unknownSince = pending !== null ? undefined : (unknownSince ?? Date.now());
    if (unknownSince !== undefined && Date.now() - unknownSince >= DROPPED_AFTER_MS) {
      throw new TransactionDroppedError(`Transaction ${hash} was dropped before it got a receipt.`, {
        hint: 'A reorg removed it; the caller decides from the chain whether to send it again.',
      });
    }
    // A reorg can also drop an earlier transaction of ours and leave this one waiting behind a nonce the
    // chain no longer has: it would never be mined. The next send takes that nonce and fills the gap.
    const gapped = pending ? await waitsBehindGap(clients, pending) : false;
    gapSince = gapped ? (gapSince ?? Date.now()) : undefined;
    if (gapSince !== undefined && Date.now() - gapSince >= gappedAfterMs) {
      throw new TransactionDroppedError(
        `Transaction ${hash} waits behind a nonce the chain no longer has (an earlier transaction was dropped).`,
        {
          hint: 'A reorg removed an earlier transaction; the caller decides from the chain what to send again.',
        },
      );
    }
    if (Date.now() > deadline) {
      throw new ReceiptTimeoutError(`No receipt for transaction ${hash} after ${RECEIPT_TIMEOUT_MS} ms.`, {
        hint: 'The node may not be mining (check its block time) or the transaction was dropped.',
      });
    }
    await new Promise((r) => setTimeout(r, clients.pollingInterval));
  }
}

/** Whether a pending transaction's nonce is above the sender's mined count (an earlier one is missing). */
async function waitsBehindGap(
  clients: ConcordClients,
  tx: { from: Address; nonce: number; blockNumber: bigint | null },
): Promise<boolean> {
  if (tx.blockNumber !== null) return false;
  const mined = await clients.publicClient
    .getTransactionCount({ address: tx.from, blockTag: 'latest' })
    .catch(() => undefined);
  return mined !== undefined && tx.nonce > mined;
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
  const data = encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args ?? [] });
  for (const blockNumber of [receipt.blockNumber - 1n, receipt.blockNumber]) {
    try {
      await clients.publicClient.call({ account: clients.account, to: call.address, data, blockNumber });
    } catch (err) {
      const named = toRevertError(err, call);
      if (named) return named;
      if (isTransientRpcError(err)) throw err;
    }
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
