/**
 * The chain layer's public API: viem bindings of the Concord contracts (one
 * action per file under actions/), clients, deployment, and the local anvil.
 * See docs/chain.md.
 */
export * from './actions/approve.ts';
export * from './actions/balanceOf.ts';
export * from './actions/buyCredits.ts';
export * from './actions/claim.ts';
export * from './actions/claimEpochCredits.ts';
export * from './actions/claimMany.ts';
export * from './actions/commit.ts';
export * from './actions/commitMany.ts';
export * from './actions/committeeOf.ts';
export * from './actions/createModel.ts';
export * from './actions/createTask.ts';
export * from './actions/createTasks.ts';
export * from './actions/creditsOf.ts';
export * from './actions/drawCommittee.ts';
export * from './actions/ensureAllowance.ts';
export * from './actions/finalize.ts';
export * from './actions/finalizeMany.ts';
export * from './actions/getNode.ts';
export * from './actions/getTask.ts';
export * from './actions/listTasks.ts';
export * from './actions/minStake.ts';
export * from './actions/participantState.ts';
export * from './actions/payoutOf.ts';
export * from './actions/poolTasks.ts';
export * from './actions/poolWinners.ts';
export * from './actions/publishVersion.ts';
export * from './actions/register.ts';
export * from './actions/requestUnstake.ts';
export * from './actions/reveal.ts';
export * from './actions/revealMany.ts';
export * from './actions/settleSession.ts';
export * from './actions/sharesOf.ts';
export * from './actions/slashEquivocation.ts';
export * from './actions/stake.ts';
export * from './actions/taskCount.ts';
export * from './actions/transfer.ts';
export * from './actions/watchTasks.ts';
export * from './actions/withdrawStake.ts';
export * from './anvil.ts';
export * from './client.ts';
export * from './context.ts';
export * from './deploy.ts';
export * from './deployment.ts';
export * from './devChain.ts';
export * from './devRpc.ts';
export * from './errors.ts';
export * from './inferenceReceipt.ts';
export * from './localChain.ts';
export * from './send.ts';
export * from './taskFlows.ts';
export * from './taskOutcome.ts';
export * from './taskTypes.ts';
