import { type Abi, type Address, getAddress, type Hex, parseEther } from 'viem';
import {
  accessCreditsAbi,
  accessCreditsBytecode,
  concordTokenAbi,
  concordTokenBytecode,
  inferenceSettlementAbi,
  inferenceSettlementBytecode,
  modelRegistryAbi,
  modelRegistryBytecode,
  nodeRegistryAbi,
  nodeRegistryBytecode,
  sharesAbi,
  sharesBytecode,
  taskMarketAbi,
  taskMarketBytecode,
} from '../../generated/contracts/index.ts';
import type { ConcordClients } from './client.ts';
import type { Deployment } from './deployment.ts';
import { DeployFailedError } from './errors.ts';
import { sendContract, toRevertError, waitForReceipt } from './send.ts';

/** Protocol parameters fixed at deployment; every one has a default. */
export type DeployConcordOptions = {
  /** Total CCD supply in wei units, minted once to `supplyRecipient` (default 1e9 CCD). */
  supply?: bigint;
  /** Who receives the supply (default: the deployer). */
  supplyRecipient?: Address;
  /** Least active stake of a node (default 100 CCD). */
  minStake?: bigint;
  /** Seconds between `requestUnstake` and `withdraw` (default 1 hour; must outlive a task). */
  unstakeDelay?: bigint;
  /** ERC-1155 metadata URI of the ownership shares. */
  sharesUri?: string;
  /**
   * Share units minted once at deployment (artifact id 0) to `genesisHolder`, so that the
   * protocol fee of the network's first winning task has holders to go to: no unit is ever
   * minted without a fee paid to others (default 1,000,000; 0 for none).
   */
  genesisUnits?: bigint;
  /** Who receives the genesis units (default: `supplyRecipient`, else the deployer). */
  genesisHolder?: Address;
  /** Seconds per access-credit epoch (default 1 hour). */
  epochLength?: bigint;
  /** Credits shared among all share units per epoch (default 1,000,000). */
  creditsPerEpoch?: bigint;
  /** Tokens per bought credit (default 0.001 CCD). */
  pricePerCredit?: bigint;
  /** Seconds a querier's credit deposit stays locked after it asks to withdraw (default 2 hours; must outlive a request). */
  withdrawalDelay?: bigint;
  /** Share units minted per bought credit an inference session debits, split among its hosts by wins (default 1000). */
  unitsPerCredit?: bigint;
  /** Stake taken (and locked in InferenceSettlement) from an inference host proven wrong by its shard's majority (default 10 CCD). */
  equivocationSlash?: bigint;
  /** Least seconds from a task's creation to its commit deadline (default 60). */
  minCommitWindow?: bigint;
  /** Least seconds between a task's commit and reveal deadlines (default 60: five 12-s blocks). */
  minRevealWindow?: bigint;
  /** Most seconds from a task's creation to its reveal deadline (default 30 days), so every round ends. */
  maxTaskDuration?: bigint;
  /** A task's bond is at most this multiple of its base reward (default 10). */
  maxBondMultiple?: number;
  /** A task's stakeSlash is at most this multiple of its base reward (default 10). */
  maxSlashMultiple?: number;
  /** Fee on the rewards a winning task pays, in basis points, paid by its creator to the share holders (default 1000). */
  taskFeeBps?: number;
};

/** The defaults of {@link DeployConcordOptions} (except the recipient, the deployer): docs/ledger.md's devnet values. */
export const DEPLOY_DEFAULTS = {
  supply: parseEther('1000000000'),
  minStake: parseEther('100'),
  unstakeDelay: 3600n,
  sharesUri: 'concord://artifact/{id}',
  genesisUnits: 1_000_000n,
  epochLength: 3600n,
  creditsPerEpoch: 1_000_000n,
  pricePerCredit: parseEther('0.001'),
  withdrawalDelay: 7200n,
  unitsPerCredit: 1000n,
  equivocationSlash: parseEther('10'),
  minCommitWindow: 60n,
  minRevealWindow: 60n,
  maxTaskDuration: 30n * 24n * 3600n,
  maxBondMultiple: 10,
  maxSlashMultiple: 10,
  taskFeeBps: 1000,
} as const;

/** The Shares artifact id of the genesis units minted at deployment. */
export const GENESIS_ARTIFACT_ID = 0n;

/**
 * Deploys every Concord contract in the order of docs/ledger.md — token,
 * NodeRegistry, Shares, AccessCredits, TaskMarket, ModelRegistry,
 * InferenceSettlement — and wires the roles: TaskMarket and InferenceSettlement
 * may slash in NodeRegistry and mint Shares, InferenceSettlement may spend
 * AccessCredits vouchers. Then it renounces the ownership of NodeRegistry,
 * Shares and AccessCredits, so the roles are fixed to the contracts: no key
 * (the deployer's included) can ever mint, slash or settle.
 */
export async function deployConcord(
  clients: ConcordClients,
  options: DeployConcordOptions = {},
): Promise<Deployment> {
  const o = { ...DEPLOY_DEFAULTS, ...options };
  const deployer = clients.account.address;
  const token = await deploy(clients, 'ConcordToken', concordTokenAbi, concordTokenBytecode, [
    o.supplyRecipient ?? deployer,
    o.supply,
  ]);
  const registry = await deploy(clients, 'NodeRegistry', nodeRegistryAbi, nodeRegistryBytecode, [
    token.address,
    o.minStake,
    o.unstakeDelay,
  ]);
  const shares = await deploy(clients, 'Shares', sharesAbi, sharesBytecode, [o.sharesUri]);
  const accessCredits = await deploy(clients, 'AccessCredits', accessCreditsAbi, accessCreditsBytecode, [
    token.address,
    shares.address,
    o.epochLength,
    o.creditsPerEpoch,
    o.pricePerCredit,
    o.withdrawalDelay,
  ]);
  const taskMarket = await deploy(clients, 'TaskMarket', taskMarketAbi, taskMarketBytecode, [
    token.address,
    registry.address,
    shares.address,
    accessCredits.address,
    {
      minCommitWindow: o.minCommitWindow,
      minRevealWindow: o.minRevealWindow,
      maxDuration: o.maxTaskDuration,
      maxBondMultiple: o.maxBondMultiple,
      maxSlashMultiple: o.maxSlashMultiple,
      feeBps: o.taskFeeBps,
    },
  ]);
  const modelRegistry = await deploy(clients, 'ModelRegistry', modelRegistryAbi, modelRegistryBytecode, [
    taskMarket.address,
  ]);
  const inferenceSettlement = await deploy(
    clients,
    'InferenceSettlement',
    inferenceSettlementAbi,
    inferenceSettlementBytecode,
    [
      accessCredits.address,
      shares.address,
      registry.address,
      modelRegistry.address,
      o.unitsPerCredit,
      o.equivocationSlash,
    ],
  );
  for (const protocol of [taskMarket.address, inferenceSettlement.address]) {
    await sendContract(clients, {
      address: registry.address,
      abi: nodeRegistryAbi,
      functionName: 'setSlasher',
      args: [protocol, true],
    });
    await sendContract(clients, {
      address: shares.address,
      abi: sharesAbi,
      functionName: 'setMinter',
      args: [protocol, true],
    });
  }
  await sendContract(clients, {
    address: accessCredits.address,
    abi: accessCreditsAbi,
    functionName: 'setSettler',
    args: [inferenceSettlement.address, true],
  });
  if (o.genesisUnits > 0n) {
    // The deployer mints the genesis units as a minter for one transaction, then is no minter again.
    const setMinter = (allowed: boolean) =>
      sendContract(clients, {
        address: shares.address,
        abi: sharesAbi,
        functionName: 'setMinter',
        args: [deployer, allowed],
      });
    await setMinter(true);
    await sendContract(clients, {
      address: shares.address,
      abi: sharesAbi,
      functionName: 'mint',
      args: [o.genesisHolder ?? o.supplyRecipient ?? deployer, GENESIS_ARTIFACT_ID, o.genesisUnits],
    });
    await setMinter(false);
  }
  // Every role is wired: nobody may add a slasher, minter or settler any more.
  const renounce = (address: Address, abi: Abi) =>
    sendContract(clients, { address, abi, functionName: 'renounceOwnership', args: [] });
  await renounce(registry.address, nodeRegistryAbi);
  await renounce(shares.address, sharesAbi);
  const last = await renounce(accessCredits.address, accessCreditsAbi);
  return {
    chainId: clients.chain.id,
    addresses: {
      token: token.address,
      registry: registry.address,
      shares: shares.address,
      taskMarket: taskMarket.address,
      modelRegistry: modelRegistry.address,
      accessCredits: accessCredits.address,
      inferenceSettlement: inferenceSettlement.address,
    },
    deployedAt: last.blockNumber,
  };
}

async function deploy(
  clients: ConcordClients,
  name: string,
  abi: Abi,
  bytecode: Hex,
  args: readonly unknown[],
): Promise<{ address: Address }> {
  let hash: Hex;
  try {
    hash = await clients.walletClient.deployContract({ abi, bytecode, args });
  } catch (err) {
    throw toRevertError(err, { abi, functionName: `${name} constructor` }) ?? err;
  }
  const receipt = await waitForReceipt(clients, hash);
  if (!receipt.contractAddress) {
    throw new DeployFailedError(`Deploying ${name} produced no contract address (tx ${hash}).`, {
      hint: 'Check that the node accepts contract creation and the gas limit is high enough.',
    });
  }
  return { address: getAddress(receipt.contractAddress) };
}
