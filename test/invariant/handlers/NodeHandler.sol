// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {InferenceSettlement} from "../../../contracts/InferenceSettlement.sol";
import {TaskMarket} from "../../../contracts/TaskMarket.sol";
import {ConcordSystem} from "../ConcordSystem.sol";
import {Ghost} from "../Ghost.sol";
import {bound} from "../lib/Vm.sol";
import {ActorHandler} from "./ActorHandler.sol";

/// @title NodeHandler
/// @notice A committee member and shard host. An honest one (`performDuties`) commits and reveals
/// the true result of every task it is drawn for, as soon as it can, and signs the product of the
/// input it is given; a dishonest one also commits wrong results, skips reveals and reveals lies.
/// Both register, stake, unstake, withdraw, finalize, claim, withdraw dividends and claim credits.
contract NodeHandler is ActorHandler {
    /// @notice See ActorHandler.
    constructor(ConcordSystem sys_, Ghost ghost_, uint256 key_, bool honest)
        ActorHandler(sys_, ghost_, key_, honest, true)
    {}

    // ----------------------------------------------------------- registry

    /// @notice Registers with a stake in [minStake, 3 * minStake].
    function register(uint256 amount) external asActor {
        _register(bound(amount, sys.MIN_STAKE(), 3 * sys.MIN_STAKE()));
    }

    /// @notice Adds stake (up to 100 CCD).
    function stake(uint256 amount) external asActor {
        amount = bound(amount, 1, 100 ether);
        if (!sys.registry().getNode(actor).registered || sys.token().balanceOf(actor) < amount) return;
        sys.token().approve(address(sys.registry()), amount);
        sys.registry().stake(amount);
        ghost.recordStake(actor, amount, 0);
    }

    /// @notice Moves part of the active stake to pending.
    function requestUnstake(uint256 amount) external asActor {
        uint256 active = sys.registry().stakeOf(actor);
        if (active == 0) return;
        sys.registry().requestUnstake(bound(amount, 1, active));
    }

    /// @notice Withdraws the pending stake its locks do not need, once unlocked.
    function withdraw() external asActor {
        uint256 amount = sys.registry().withdrawableOf(actor);
        if (amount == 0 || block.timestamp < sys.registry().getNode(actor).unlockAt) return;
        sys.registry().withdraw();
        ghost.recordStake(actor, 0, amount);
    }

    // -------------------------------------------------------------- tasks

    /// @notice What an honest node does whenever it gets the chance: on every task, commit and
    /// reveal the true result, finalize, claim. The clock calls it before every tick.
    function performDuties() external asActor {
        uint256[] memory ids = ghost.tasks();
        for (uint256 i; i < ids.length; ++i) {
            if (!ghost.settled(ids[i])) {
                bytes32 truth = ghost.truthOf(ids[i]);
                TaskMarket.Task memory task = sys.market().getTask(ids[i]);
                if (task.committeeDrawn && !sys.market().isCommitteeMember(ids[i], actor)) {
                    _finalize(ids[i], task);
                    continue;
                }
                _commit(ids[i], task, truth);
                _reveal(ids[i], sys.market().getTask(ids[i]), truth);
                _finalize(ids[i], sys.market().getTask(ids[i]));
            }
            if (ghost.settled(ids[i])) _claim(ids[i]);
        }
    }

    /// @notice Commits (truth when `lie` is false) on a task picked by `seed`.
    function commit(uint256 seed, bool lie) external asActor {
        uint256 taskId = _pickTask(seed);
        if (taskId != 0) _commit(taskId, sys.market().getTask(taskId), _result(taskId, lie));
    }

    /// @notice Reveals on a task picked by `seed` (only what it committed to opens).
    function reveal(uint256 seed, bool lie) external asActor {
        uint256 taskId = _pickTask(seed);
        if (taskId != 0) _reveal(taskId, sys.market().getTask(taskId), _result(taskId, lie));
    }

    /// @notice Finalizes a task picked by `seed`.
    function finalize(uint256 seed) external asActor {
        uint256 taskId = _pickTask(seed);
        if (taskId != 0) _finalize(taskId, sys.market().getTask(taskId));
    }

    /// @notice Claims from a task picked by `seed`.
    function claim(uint256 seed) external asActor {
        uint256 taskId = _pickTask(seed);
        if (taskId != 0) _claim(taskId);
    }

    // ------------------------------------------------------------- shares

    /// @notice Claims its dividends of an ended epoch picked by `seed`.
    function claimDividends(uint256 seed) external asActor {
        _claimDividends(seed);
    }

    /// @notice Claims this epoch's credits.
    function claimEpochCredits() external asActor {
        _claimEpochCredits();
    }

    // ------------------------------------------------------------ hosting

    /// @notice Serves one partial product (not fuzzed directly; gateways and attackers call it):
    /// computes the digest of `input` for the item, as an honest host does with whatever input it
    /// is sent, and signs a one-item statement naming that input.
    function serve(bytes32 session, uint64 step, int32 layer, bytes32 matrix, uint32 shard, bytes32 input)
        external
        returns (InferenceSettlement.Statement memory statement)
    {
        InferenceSettlement.Item[] memory items = new InferenceSettlement.Item[](1);
        items[0] = InferenceSettlement.Item({
            step: step,
            layer: layer,
            matrix: matrix,
            shard: shard,
            input: input,
            digest: keccak256(abi.encode("product", input, layer, matrix, shard))
        });
        InferenceSettlement settlement = sys.settlement();
        statement = InferenceSettlement.Statement({
            host: actor,
            items: items,
            index: 0,
            signature: _sign(settlement.hashStatement(session, items))
        });
    }

    function _result(uint256 taskId, bool lie) private view returns (bytes32) {
        return lie ? keccak256(abi.encode("lie", taskId)) : ghost.truthOf(taskId);
    }
}
