import { BaseError, type BaseErrorParameters } from '../core/errors.ts';

/** The anvil binary for this platform is not installed. */
export class AnvilNotFoundError extends BaseError {
  override name = 'AnvilNotFoundError';
}

/** Anvil was launched but never answered `eth_chainId` (or exited early). */
export class AnvilStartError extends BaseError {
  override name = 'AnvilStartError';
}

/** A dev account index outside what anvil generates. */
export class DevAccountIndexError extends BaseError {
  override name = 'DevAccountIndexError';
}

/** A transaction or call was reverted by a contract; `errorName`/`args` name the Solidity custom error. */
export class ChainRevertError extends BaseError {
  override name = 'ChainRevertError';
  override readonly status = 409;
  /** The custom error's name (`TaskCommitClosed`), `Error` for a string reason, or `unknown`. */
  readonly errorName: string;
  /** The decoded error arguments. */
  readonly args: readonly unknown[];
  constructor(
    shortMessage: string,
    params: { errorName: string; args: readonly unknown[] } & BaseErrorParameters,
  ) {
    super(shortMessage, params);
    this.errorName = params.errorName;
    this.args = params.args;
  }
}

/** The RPC endpoint could not be reached or answered nonsense. */
export class ChainConnectionError extends BaseError {
  override name = 'ChainConnectionError';
}

/** A sent transaction is gone: no receipt, and the node no longer knows it (a reorg dropped it). */
export class TransactionDroppedError extends BaseError {
  override name = 'TransactionDroppedError';
}

/** A sent transaction had no receipt within the wait limit. */
export class ReceiptTimeoutError extends BaseError {
  override name = 'ReceiptTimeoutError';
}

/** A private key that is not 32 bytes of hex. */
export class InvalidPrivateKeyError extends BaseError {
  override name = 'InvalidPrivateKeyError';
}

/** A deployment file is missing, unreadable, or does not describe a Concord deployment. */
export class DeploymentFileError extends BaseError {
  override name = 'DeploymentFileError';
}

/** A contract deployment transaction produced no contract address. */
export class DeployFailedError extends BaseError {
  override name = 'DeployFailedError';
}

/** A transaction used all the gas it was given and reverted. */
export class TransactionOutOfGasError extends BaseError {
  override name = 'TransactionOutOfGasError';
}

/** A signed transaction could not be handed to the RPC endpoint (every re-send failed); it may still be mined. */
export class TransactionSendError extends BaseError {
  override name = 'TransactionSendError';
}

/** The nonce a transaction was signed with was used by another transaction of the same account. */
export class NonceTakenError extends BaseError {
  override name = 'NonceTakenError';
}

/** A saved chain-watcher cursor (`parseCursor`) that is not a list of block numbers and hashes. */
export class WatchCursorError extends BaseError {
  override name = 'WatchCursorError';
}
