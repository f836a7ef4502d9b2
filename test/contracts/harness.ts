// Shared test harness for the contract tests: one anvil per test file, Concord
// deployed with the chain layer's deployConcord, clients for the dev accounts,
// and helpers for time travel, snapshots and custom-error assertions.
import assert from 'node:assert/strict';
import {
  type Abi,
  type Address,
  createTestClient,
  getAddress,
  type Hex,
  http,
  keccak256,
  parseEther,
  type TransactionReceipt,
  toHex,
} from 'viem';
import { concordTokenAbi, nodeRegistryAbi, taskMarketAbi } from '../../generated/contracts/index.ts';
import { type AnvilInstance, startAnvil } from '../../src/chain/anvil.ts';
import { type ConcordClients, createConcordClients } from '../../src/chain/client.ts';
import { type DeployConcordOptions, deployConcord } from '../../src/chain/deploy.ts';
import type { Deployment } from '../../src/chain/deployment.ts';
import { devAccount } from '../../src/chain/devAccounts.ts';
import { ChainRevertError } from '../../src/chain/errors.ts';
import { poolId } from '../../src/chain/poolId.ts';
import { sendContract, toRevertError } from '../../src/chain/send.ts';

/** Number of funded dev accounts each test chain has. */
export const ACCOUNTS = 10;
/** Tokens each non-deployer account receives at setup. */
export const FUNDING = parseEther('100000');

/**
 * Deployment parameters of the test chains unless a test overrides them: 1-second minimum windows
 * (tests move the clock by hand), no protocol fee and no genesis units, so amounts stay easy to
 * check; the tests of the bounds and of the fee deploy with the production defaults.
 */
export const TEST_LIMITS: DeployConcordOptions = {
  minStake: parseEther('100'),
  minCommitWindow: 1n,
  minRevealWindow: 1n,
  taskFeeBps: 0,
  genesisUnits: 0n,
};

/** A running test chain with Concord deployed. */
export type TestChain = {
  anvil: AnvilInstance;
  deployment: Deployment;
  addresses: Deployment['addresses'];
  /** Clients of dev account i (account 0 deployed everything and owns the ownable contracts). */
  clients: ConcordClients[];
  test: ReturnType<typeof makeTestClient>;
  stop(): Promise<void>;
};

function makeTestClient(rpcUrl: string) {
  return createTestClient({ mode: 'anvil', transport: http(rpcUrl), cacheTime: 0 });
}

/** Starts anvil, deploys Concord and gives accounts 1.. tokens. */
export async function startTestChain(options: DeployConcordOptions = {}): Promise<TestChain> {
  const anvil = await startAnvil({ accounts: ACCOUNTS });
  try {
    const clients = await Promise.all(
      Array.from({ length: ACCOUNTS }, (_, i) =>
        createConcordClients({
          rpcUrl: anvil.rpcUrl,
          privateKey: devAccount(i).privateKey,
          pollingInterval: 10,
        }),
      ),
    );
    const deployment = await deployConcord(clients[0]!, { ...TEST_LIMITS, ...options });
    const chain: TestChain = {
      anvil,
      deployment,
      addresses: deployment.addresses,
      clients,
      test: makeTestClient(anvil.rpcUrl),
      stop: () => anvil.stop(),
    };
    for (let i = 1; i < ACCOUNTS; i++) {
      await send(chain, 0, deployment.addresses.token, concordTokenAbi, 'transfer', [
        devAccount(i).address,
        FUNDING,
      ]);
    }
    return chain;
  } catch (err) {
    await anvil.stop();
    throw err;
  }
}

/**
 * Deploys a fresh instance of a contract from dev account 0, which owns it: deployConcord's
 * instances have no owner (their roles are fixed), so tests of owner-only rules use their own.
 */
export async function deployOwned(
  chain: Pick<TestChain, 'clients'>,
  abi: Abi,
  bytecode: Hex,
  args: readonly unknown[],
): Promise<Address> {
  const clients = chain.clients[0]!;
  const hash = await clients.walletClient.deployContract({ abi, bytecode, args });
  const receipt = await clients.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 10 });
  assert.ok(receipt.contractAddress, `deploying produced no contract (tx ${hash})`);
  return getAddress(receipt.contractAddress);
}

/** The address of dev account i. */
export function account(i: number): Address {
  return devAccount(i).address;
}

/** Sends a contract call from dev account `from` and waits for it. */
export async function send(
  chain: Pick<TestChain, 'clients'>,
  from: number,
  address: Address,
  abi: Abi,
  functionName: string,
  args: readonly unknown[] = [],
): Promise<TransactionReceipt> {
  return await sendContract(chain.clients[from]!, { address, abi, functionName, args });
}

/** Reads a view function. */
export async function read<T = unknown>(
  chain: Pick<TestChain, 'clients'>,
  address: Address,
  abi: Abi,
  functionName: string,
  args: readonly unknown[] = [],
): Promise<T> {
  return (await chain.clients[0]!.publicClient.readContract({ address, abi, functionName, args })) as T;
}

/**
 * Asserts that `promise` (a sent transaction or a view call) rejects with the contract custom
 * error `errorName`; returns its decoded args.
 */
export async function expectRevert(
  promise: Promise<unknown>,
  errorName: string,
): Promise<readonly unknown[]> {
  try {
    await promise;
  } catch (caught) {
    // View calls fail with viem's own error: decode it with every Concord contract error.
    const err =
      caught instanceof ChainRevertError ? caught : toRevertError(caught, { abi: [], functionName: 'call' });
    assert.ok(err instanceof ChainRevertError, `expected a contract revert, got ${String(caught)}`);
    assert.equal(err.errorName, errorName, err.message);
    return err.args;
  }
  assert.fail(`expected a revert with ${errorName}, but the call succeeded`);
}

/** Runs `fn` and rolls the chain back afterwards, so tests stay independent. */
export async function isolated<T>(chain: TestChain, fn: () => Promise<T>): Promise<T> {
  const id = await chain.test.snapshot();
  try {
    return await fn();
  } finally {
    await chain.test.revert({ id });
  }
}

/** Moves the chain's clock forward by `seconds` and mines a block. */
export async function advance(chain: TestChain, seconds: number): Promise<void> {
  await chain.test.increaseTime({ seconds });
  await chain.test.mine({ blocks: 1 });
}

/** The latest block's timestamp. */
export async function now(chain: TestChain): Promise<bigint> {
  return (await chain.clients[0]!.publicClient.getBlock()).timestamp;
}

/** Approves `spender` for an unlimited amount of tokens from dev account `from`. */
export async function approveAll(chain: TestChain, from: number, spender: Address): Promise<void> {
  await send(chain, from, chain.addresses.token, concordTokenAbi, 'approve', [spender, 2n ** 256n - 1n]);
}

/** The token balance of `owner`. */
export async function balanceOf(chain: TestChain, owner: Address): Promise<bigint> {
  return await read<bigint>(chain, chain.addresses.token, concordTokenAbi, 'balanceOf', [owner]);
}

/** A fake libp2p peer id for dev account i (the registry only stores and compares it). */
export function peerIdFor(i: number): Hex {
  return toHex(`peer-${i}`);
}

/** Registers dev account i as a node with `stake` (approving registry and market first). */
export async function registerNode(chain: TestChain, i: number, stake: bigint): Promise<void> {
  await approveAll(chain, i, chain.addresses.registry);
  await approveAll(chain, i, chain.addresses.taskMarket);
  await send(chain, i, chain.addresses.registry, nodeRegistryAbi, 'register', [
    peerIdFor(i),
    toHex(`sig-${i}`),
    stake,
  ]);
}

/** A task's parameters as the contract takes them. */
export type TaskParams = {
  kind: Hex;
  specDigest: Hex;
  pool: Hex;
  inputsRoot: Hex;
  baseReward: bigint;
  bond: bigint;
  stakeSlash: bigint;
  growthBps: number;
  maxParticipants: number;
  quorum: number;
  committeeSize: number;
  commitDeadline: bigint;
  revealDeadline: bigint;
};

/** The zero bytes32. */
export const ZERO32: Hex = `0x${'00'.repeat(32)}`;

/** `keccak256(text)` as a bytes32 (task kinds, digests, pools). */
export function id32(text: string): Hex {
  return keccak256(toHex(text));
}

/** The pool of dev account i named `label` (its id starts with the account's address, so only it adds tasks). */
export function poolOf(i: number, label: string): Hex {
  return poolId(account(i), label);
}

/** Task parameters with test defaults (3 members, 100 s commit, 100 s reveal) and `overrides`. */
export async function taskParams(chain: TestChain, overrides: Partial<TaskParams> = {}): Promise<TaskParams> {
  const t = await now(chain);
  return {
    kind: id32('matvec'),
    specDigest: id32('spec'),
    pool: ZERO32,
    inputsRoot: ZERO32,
    baseReward: 1000n,
    bond: 50n,
    stakeSlash: 30n,
    growthBps: 500,
    maxParticipants: 3,
    quorum: 2,
    committeeSize: 3,
    commitDeadline: t + 100n,
    revealDeadline: t + 200n,
    ...overrides,
  };
}

/** Creates a task from dev account `from` (approving the market) and returns its id. */
export async function createTask(chain: TestChain, from: number, params: TaskParams): Promise<bigint> {
  await approveAll(chain, from, chain.addresses.taskMarket);
  await send(chain, from, chain.addresses.taskMarket, taskMarketAbi, 'createTask', [params]);
  return await read<bigint>(chain, chain.addresses.taskMarket, taskMarketAbi, 'taskCount');
}

/** The commitment of dev account i to `digest` with `salt` in `taskId`, computed by the contract. */
export async function commitmentOf(
  chain: TestChain,
  taskId: bigint,
  digest: Hex,
  salt: Hex,
  i: number,
): Promise<Hex> {
  return await read<Hex>(chain, chain.addresses.taskMarket, taskMarketAbi, 'commitmentOf', [
    taskId,
    digest,
    salt,
    account(i),
  ]);
}

/** The salt dev account i uses in tests. */
export function saltFor(i: number): Hex {
  return id32(`salt-${i}`);
}

/** Commits dev account i to `digest` in `taskId` with its test salt. */
export async function commitAs(chain: TestChain, i: number, taskId: bigint, digest: Hex): Promise<void> {
  const commitment = await commitmentOf(chain, taskId, digest, saltFor(i), i);
  await send(chain, i, chain.addresses.taskMarket, taskMarketAbi, 'commit', [taskId, commitment]);
}

/** Reveals dev account i's `digest` in `taskId` with its test salt. */
export async function revealAs(chain: TestChain, i: number, taskId: bigint, digest: Hex): Promise<void> {
  await send(chain, i, chain.addresses.taskMarket, taskMarketAbi, 'reveal', [taskId, digest, saltFor(i)]);
}
