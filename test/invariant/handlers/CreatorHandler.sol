// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskMarket} from "../../../contracts/TaskMarket.sol";
import {ConcordSystem} from "../ConcordSystem.sol";
import {Ghost} from "../Ghost.sol";
import {bound} from "../lib/Vm.sol";
import {ActorHandler} from "./ActorHandler.sol";

/// @title CreatorHandler
/// @notice A task creator choosing any parameters within TaskMarket's bounds (rewards, bonds and
/// `stakeSlash` up to 10x the reward, the shortest windows, committee sizes), optionally with its
/// own registered node on the committees that never commits (finding 3), then finalizing and
/// taking its refund; and trying parameters outside the bounds (which must revert).
contract CreatorHandler is ActorHandler {
    /// @notice See ActorHandler (a creator is dishonest: it picks parameters against the members).
    constructor(ConcordSystem sys_, Ghost ghost_, uint256 key_) ActorHandler(sys_, ghost_, key_, false, true) {}

    /// @notice Fuzzed task parameters (bounded to what a creator can afford).
    struct Choice {
        uint256 baseReward;
        uint256 bond;
        uint256 stakeSlash;
        uint32 growthBps;
        uint32 committeeSize;
        uint32 quorum;
        uint64 commitIn;
        uint64 revealWindow;
    }

    /// @notice Registers the creator's own node, which sits on committees and never commits.
    function registerOwnNode(uint256 amount) external asActor {
        _register(bound(amount, sys.MIN_STAKE(), 3 * sys.MIN_STAKE()));
    }

    /// @notice Creates a (non-pool) task with fuzzed parameters.
    function createTask(Choice memory c) external asActor {
        if (!ghost.roomForTask()) return;
        uint32 size = uint32(bound(c.committeeSize, 1, 5));
        TaskMarket.TaskParams memory p = TaskMarket.TaskParams({
            kind: keccak256("train"),
            specDigest: keccak256(abi.encode(c)),
            pool: bytes32(0),
            inputsRoot: bytes32(0),
            baseReward: bound(c.baseReward, 0, 10 ether),
            bond: 0,
            stakeSlash: 0,
            growthBps: uint32(bound(c.growthBps, 0, 5000)),
            maxParticipants: size,
            quorum: uint32(bound(c.quorum, 1, size)),
            committeeSize: size,
            commitDeadline: uint64(block.timestamp + bound(c.commitIn, 60, 600)),
            revealDeadline: 0
        });
        p.bond = bound(c.bond, 0, 10 * p.baseReward);
        p.stakeSlash = bound(c.stakeSlash, 0, 10 * p.baseReward);
        p.revealDeadline = p.commitDeadline + uint64(bound(c.revealWindow, 60, 600));
        uint256 escrow = sys.market().escrowOf(p.baseReward, p.growthBps, size);
        if (sys.token().balanceOf(actor) < escrow) return;
        sys.token().approve(address(sys.market()), escrow);
        ghost.addTask(sys.market().createTask(p));
    }

    /// @notice Finding 3: tries a task whose commit or reveal window is below the minimum, whose
    /// bond or stakeSlash is above 10x its reward, or that lasts past the maximum duration.
    function createAbusiveTask(uint256 reward, uint8 abuse) external asActor {
        if (!ghost.roomForTask()) return;
        TaskMarket.TaskParams memory p = TaskMarket.TaskParams({
            kind: keccak256("train"),
            specDigest: keccak256("abusive"),
            pool: bytes32(0),
            inputsRoot: bytes32(0),
            baseReward: bound(reward, 0, 1 ether),
            bond: 0,
            stakeSlash: 0,
            growthBps: 0,
            maxParticipants: 3,
            quorum: 2,
            committeeSize: 3,
            commitDeadline: uint64(block.timestamp + 60),
            revealDeadline: uint64(block.timestamp + 120)
        });
        uint256 which = abuse % 5;
        if (which == 0) p.commitDeadline = uint64(block.timestamp + 59);
        else if (which == 1) p.revealDeadline = p.commitDeadline + 59;
        else if (which == 2) p.bond = 10 * p.baseReward + 1;
        else if (which == 3) p.stakeSlash = 10 * p.baseReward + 1;
        else p.revealDeadline = uint64(block.timestamp + 30 days + 1);
        uint256 escrow = sys.market().escrowOf(p.baseReward, p.growthBps, 3);
        if (sys.token().balanceOf(actor) < escrow) return;
        sys.token().approve(address(sys.market()), escrow);
        try sys.market().createTask(p) returns (uint256 taskId) {
            ghost.addTask(taskId);
            ghost.recordAttack("task outside the creator bounds");
        } catch (bytes memory err) {
            _expectError(err, TaskMarket.TaskInvalidParams.selector, "task outside the creator bounds");
        }
    }

    /// @notice Finalizes a task picked by `seed`.
    function finalize(uint256 seed) external asActor {
        uint256 taskId = _pickTask(seed);
        if (taskId != 0) _finalize(taskId, sys.market().getTask(taskId));
    }

    /// @notice Claims the refund (and any payout) of a task picked by `seed`.
    function claim(uint256 seed) external asActor {
        uint256 taskId = _pickTask(seed);
        if (taskId != 0) _claim(taskId);
    }
}
