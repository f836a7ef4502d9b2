// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskMarket} from "../../../contracts/TaskMarket.sol";
import {ConcordSystem} from "../ConcordSystem.sol";
import {Ghost} from "../Ghost.sol";
import {bound} from "../lib/Vm.sol";
import {ActorHandler} from "./ActorHandler.sol";

/// @title ModelOwnerHandler
/// @notice A model owner running training rounds with fair parameters: creates its model, adds
/// training tasks to the current round (pool), creates the round's aggregate task once every
/// task of the pool settled, and publishes it as the next version.
contract ModelOwnerHandler is ActorHandler {
    /// @notice The owner's model (0 before `createModel`) and its current round.
    uint256 public modelId;
    uint256 public round;
    uint256 public aggregateTask;
    /// @notice The aggregate task of the last version published (0 before the first).
    uint256 public publishedTask;

    /// @notice See ActorHandler (an honest owner).
    constructor(ConcordSystem sys_, Ghost ghost_, uint256 key_) ActorHandler(sys_, ghost_, key_, true, false) {}

    /// @notice Creates the owner's model (once).
    function createModel() external asActor {
        if (modelId == 0) modelId = sys.models().createModel("owner-model", keccak256("genesis"));
    }

    /// @notice The pool of the current round: the owner's address, then the model and the round.
    function pool() public view returns (bytes32) {
        return bytes32(uint256(uint160(actor)) << 96 | uint256(uint64(modelId)) << 32 | uint256(uint32(round)));
    }

    /// @notice Adds a training task to the current round (before its aggregate task exists).
    function createTrainingTask(uint256 reward) external asActor {
        if (modelId == 0 || aggregateTask != 0) return;
        _create(pool(), bytes32(0), keccak256("train"), bound(reward, 1 ether, 5 ether));
    }

    /// @notice Creates the round's aggregate task once the pool has settled tasks and none open.
    function createAggregateTask() external asActor {
        TaskMarket market = sys.market();
        if (modelId == 0 || aggregateTask != 0 || market.poolTasks(pool()).length == 0) return;
        if (market.poolOpenCount(pool()) > 0 || market.poolWinners(pool()).length == 0) return;
        aggregateTask = _create(pool(), market.poolInputsRoot(pool()), market.AGGREGATE_KIND(), 2 ether);
    }

    /// @notice Publishes the round's aggregate task once it won, then starts the next round.
    function publishVersion() external asActor {
        if (aggregateTask == 0) return;
        TaskMarket.Task memory task = sys.market().getTask(aggregateTask);
        if (task.status == TaskMarket.TaskStatus.Failed) {
            aggregateTask = 0;
            return;
        }
        if (task.status != TaskMarket.TaskStatus.Finalized) return;
        if (sys.market().poolOpenCount(pool()) > 0 || sys.models().isPublished(modelId, aggregateTask)) return;
        if (sys.market().poolInputsRoot(pool()) != task.params.inputsRoot) {
            // Someone else's task settled into the round after its aggregate was created.
            ghost.recordPoisonedRound();
            aggregateTask = 0;
            ++round;
            return;
        }
        sys.models().publishVersion(modelId, aggregateTask);
        publishedTask = aggregateTask;
        aggregateTask = 0;
        ++round;
    }

    /// @notice Finalizes a task picked by `seed`.
    function finalize(uint256 seed) external asActor {
        uint256 taskId = _pickTask(seed);
        if (taskId != 0) _finalize(taskId, sys.market().getTask(taskId));
    }

    /// @notice Claims the refund of a task picked by `seed`.
    function claim(uint256 seed) external asActor {
        uint256 taskId = _pickTask(seed);
        if (taskId != 0) _claim(taskId);
    }

    function _create(bytes32 pool_, bytes32 inputsRoot, bytes32 kind, uint256 reward)
        private
        returns (uint256 taskId)
    {
        if (!ghost.roomForTask()) return 0;
        TaskMarket.TaskParams memory p = TaskMarket.TaskParams({
            kind: kind,
            specDigest: keccak256(abi.encode(pool_, kind)),
            pool: pool_,
            inputsRoot: inputsRoot,
            baseReward: reward,
            bond: 1 ether,
            stakeSlash: 10 ether,
            growthBps: 0,
            maxParticipants: 3,
            quorum: 2,
            committeeSize: 3,
            commitDeadline: uint64(block.timestamp + 120),
            revealDeadline: uint64(block.timestamp + 240)
        });
        uint256 escrow = sys.market().escrowOf(reward, 0, 3);
        if (sys.token().balanceOf(actor) < escrow) return 0;
        sys.token().approve(address(sys.market()), escrow);
        taskId = sys.market().createTask(p);
        ghost.addTask(taskId);
    }
}
