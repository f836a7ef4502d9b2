// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskMarket} from "../../../contracts/TaskMarket.sol";
import {ConcordSystem} from "../ConcordSystem.sol";
import {Ghost} from "../Ghost.sol";
import {vm} from "../lib/Vm.sol";

/// @title ActorHandler
/// @notice Base of the per-actor handlers: one account (with its private key, for EIP-712
/// signatures), the clock applied before every call, and thin wrappers around the calls every
/// actor makes. A wrapper returns early instead of calling when the call would just revert on a
/// precondition the handler can see, so the fuzzer's calls do work; anything else reverting is
/// a finding (forge counts reverts when `fail_on_revert` is on).
abstract contract ActorHandler {
    ConcordSystem internal immutable sys;
    Ghost internal immutable ghost;
    uint256 internal immutable key;
    /// @notice The account this handler acts as.
    address public immutable actor;

    /// @param sys_ The deployed contracts; @param ghost_ the shared ghost state.
    /// @param key_ The actor's private key; @param honest whether it follows the protocol.
    /// @param node whether it can sit on committees and host shards.
    constructor(ConcordSystem sys_, Ghost ghost_, uint256 key_, bool honest, bool node) {
        sys = sys_;
        ghost = ghost_;
        key = key_;
        actor = ghost_.addActor(key_, honest, node);
    }

    /// @dev Every fuzzed entry point starts at the ghost clock and acts as `actor`.
    modifier asActor() {
        ghost.sync();
        vm.startPrank(actor);
        _;
        vm.stopPrank();
    }

    /// @notice Registers the actor as a node staking `amount` (setup, or the fuzzer through a wrapper).
    function _register(uint256 amount) internal {
        if (sys.registry().getNode(actor).registered || sys.token().balanceOf(actor) < amount) return;
        sys.token().approve(address(sys.registry()), amount);
        sys.registry().register(abi.encodePacked("peer-", actor), "", amount);
        ghost.recordStake(actor, amount, 0);
    }

    /// @notice A 65-byte (r, s, v) signature of `digest` by the actor.
    function _sign(bytes32 digest) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @notice The `seed`-th task recorded in the ghost (0 when none).
    function _pickTask(uint256 seed) internal view returns (uint256) {
        uint256[] memory ids = ghost.tasks();
        return ids.length == 0 ? 0 : ids[seed % ids.length];
    }

    /// @notice Commits the actor to `digest` in `taskId` (whose state is `task`), paying the bond.
    function _commit(uint256 taskId, TaskMarket.Task memory task, bytes32 digest) internal {
        TaskMarket market = sys.market();
        if (task.status != TaskMarket.TaskStatus.Open || block.timestamp >= task.params.commitDeadline) return;
        if (block.number <= task.createdBlock) return;
        if (!task.committeeDrawn) {
            (address[] memory drawn,) = sys.registry().drawCommittee(bytes32(0), task.createdBlock, 1);
            if (drawn.length == 0) return; // nobody to draw: the task can only fail
            market.drawCommittee(taskId);
            task.committeeDrawn = true;
        }
        if (market.participantState(taskId, actor).status != TaskMarket.ParticipantStatus.Member) return;
        if (sys.token().balanceOf(actor) < task.params.bond) return;
        // Committing locks `stakeSlash` of the actor's stake (NodeStakeLocked when not enough is free).
        if (sys.registry().unlockedOf(actor) < task.params.stakeSlash) return;
        sys.token().approve(address(market), task.params.bond);
        market.commit(taskId, market.commitmentOf(taskId, digest, _salt(taskId), actor));
    }

    /// @notice Reveals `digest` in `taskId` (state `task`) if the actor committed to it and reveals are open.
    function _reveal(uint256 taskId, TaskMarket.Task memory task, bytes32 digest) internal {
        TaskMarket market = sys.market();
        if (task.status != TaskMarket.TaskStatus.Open || block.timestamp >= task.params.revealDeadline) return;
        bool open = block.timestamp >= task.params.commitDeadline
            || (task.committeeDrawn && task.committed == task.committeeLength);
        if (!open) return;
        TaskMarket.Participant memory p = market.participantState(taskId, actor);
        if (p.status != TaskMarket.ParticipantStatus.Committed) return;
        if (market.commitmentOf(taskId, digest, _salt(taskId), actor) != p.commitment) return;
        market.reveal(taskId, digest, _salt(taskId));
    }

    /// @notice Finalizes `taskId` (state `task`) when it can be, recording units minted, the fee
    /// AccessCredits received and excused losses.
    function _finalize(uint256 taskId, TaskMarket.Task memory task) internal {
        TaskMarket market = sys.market();
        if (task.status != TaskMarket.TaskStatus.Open) return;
        bool open = block.timestamp >= task.params.commitDeadline
            || (task.committeeDrawn && task.committed == task.committeeLength);
        if (block.timestamp < task.params.revealDeadline && !(open && task.revealed == task.committed)) return;
        uint256 unitsBefore = sys.shares().totalUnits();
        uint256 creditsBalance = sys.token().balanceOf(address(sys.credits()));
        market.finalize(taskId);
        ghost.recordFinalize(taskId, unitsBefore, sys.token().balanceOf(address(sys.credits())) - creditsBalance);
    }

    /// @notice Claims what `taskId` owes the actor, if anything.
    function _claim(uint256 taskId) internal {
        TaskMarket market = sys.market();
        if (market.getTask(taskId).status == TaskMarket.TaskStatus.Open) return;
        if (market.payoutOf(taskId, actor) == 0) return;
        market.claim(taskId);
    }

    /// @notice Claims the actor's AccessCredits dividends of the ended epoch `seed` picks (among the
    /// last 16), if it has any there.
    function _claimDividends(uint256 seed) internal {
        uint256 current = sys.credits().currentEpoch();
        if (current == 0) return;
        uint256 back = seed % (current < 16 ? current : 16);
        uint256 epoch = current - 1 - back;
        if (sys.credits().dividendsOf(actor, epoch) == 0) return;
        ghost.recordDividends(epoch, sys.credits().claimDividends(epoch));
    }

    /// @notice Claims the actor's epoch credits, if it held units at the snapshot and has not claimed.
    function _claimEpochCredits() internal {
        uint256 epoch = sys.credits().currentEpoch();
        if (sys.credits().hasClaimed(actor, epoch) || sys.shares().totalUnits() == 0) return;
        uint256 snapshot = sys.credits().snapshotEpoch();
        if (sys.shares().unitsAt(actor, snapshot) == 0) return;
        uint256 credits = sys.credits().claimEpochCredits();
        ghost.recordCredits(credits, true, epoch);
    }

    /// @notice After an attack named `name` reverted with `err`: records it in the ghost unless it
    /// reverted with `expected`, the error of the rule it breaks (another error means the attack
    /// never reached that rule).
    function _expectError(bytes memory err, bytes4 expected, string memory name) internal {
        if (err.length < 4 || bytes4(err) != expected) ghost.recordAttack(string.concat(name, " (wrong error)"));
    }

    function _salt(uint256 taskId) private view returns (bytes32) {
        return keccak256(abi.encode("salt", actor, taskId));
    }
}
