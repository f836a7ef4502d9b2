// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {InferenceSettlement} from "../../../contracts/InferenceSettlement.sol";
import {TaskMarket} from "../../../contracts/TaskMarket.sol";
import {ConcordSystem} from "../ConcordSystem.sol";
import {Ghost} from "../Ghost.sol";
import {bound} from "../lib/Vm.sol";
import {ActorHandler} from "./ActorHandler.sol";
import {ModelOwnerHandler} from "./ModelOwnerHandler.sol";
import {NodeHandler} from "./NodeHandler.sol";
import {MATRIX, requestOf, signRequest, sortAddresses} from "./Sessions.sol";

/// @title OutsiderHandler
/// @notice A stakeless, unregistered account trying every attack of issue 15 that needs no
/// stake: a 0-price session to itself with any wins (finding 1), framing an honest host with its
/// own signatures over different inputs (finding 2), a 0-reward task in the owner's round and
/// publishing the owner's aggregate in its own model (finding 4); and withdrawing what it earns.
contract OutsiderHandler is ActorHandler {
    NodeHandler[] private _hosts;
    ModelOwnerHandler private immutable _owner;
    uint256 public modelId;
    uint256 private _nonce;

    /// @param hosts Honest hosts it can ask to serve; @param owner the model owner it attacks.
    constructor(ConcordSystem sys_, Ghost ghost_, uint256 key_, NodeHandler[] memory hosts, ModelOwnerHandler owner)
        ActorHandler(sys_, ghost_, key_, false, false)
    {
        for (uint256 i; i < hosts.length; ++i) {
            _hosts.push(hosts[i]);
        }
        _owner = owner;
    }

    /// @notice Finding 1: settles a 0-price session it requested from itself, on its own model,
    /// naming itself host of up to 3 shards with any number of wins.
    function settleSelfSession(uint256 wins, uint256 shards) external asActor {
        _ownModel();
        shards = bound(shards, 1, 3);
        InferenceSettlement.Request memory request = requestOf(actor, actor, modelId, 0, 0, ++_nonce);
        InferenceSettlement.HostResult[] memory results = new InferenceSettlement.HostResult[](shards);
        for (uint256 i; i < shards; ++i) {
            results[i] = InferenceSettlement.HostResult(0, MATRIX, uint32(i), actor, uint32(bound(wins, 1, type(uint32).max)), 0);
        }
        _settle(request, results);
    }

    /// @notice Finding 2: sends the victim host a different input than two others for the same
    /// step, settles its own 0-price session naming the three, and reports the victim.
    function frameHost(uint256 victimSeed, uint64 step) external asActor {
        _ownModel();
        if (_hosts.length < 3) return;
        address[] memory trio = new address[](3);
        uint256 victimIndex = victimSeed % _hosts.length;
        NodeHandler victim = _hosts[victimIndex];
        if (sys.registry().slashableOf(victim.actor()) == 0) return;
        NodeHandler[] memory majority = new NodeHandler[](2);
        for (uint256 i; i < 2; ++i) {
            majority[i] = _hosts[(victimIndex + 1 + i) % _hosts.length];
        }
        uint256 support = _stakeBefore(majority[0].actor()) + _stakeBefore(majority[1].actor());
        if (support <= _stakeBefore(victim.actor())) return;
        InferenceSettlement.Request memory request = requestOf(actor, actor, modelId, 0, 0, ++_nonce);
        bytes32 session = sys.settlement().sessionIdOf(request);
        InferenceSettlement.Evidence memory evidence;
        evidence.session = session;
        evidence.accused = victim.serve(session, step, 0, MATRIX, 0, keccak256("input the victim was sent"));
        if (majority[0].actor() > majority[1].actor()) (majority[0], majority[1]) = (majority[1], majority[0]);
        evidence.majority = new InferenceSettlement.Statement[](2);
        for (uint256 i; i < 2; ++i) {
            evidence.majority[i] = majority[i].serve(session, step, 0, MATRIX, 0, keccak256("input the others were sent"));
            trio[i] = majority[i].actor();
        }
        trio[2] = victim.actor();
        sortAddresses(trio);
        InferenceSettlement.HostResult[] memory results = new InferenceSettlement.HostResult[](3);
        for (uint256 i; i < 3; ++i) {
            results[i] = InferenceSettlement.HostResult(0, MATRIX, 0, trio[i], 0, 0);
        }
        _settle(request, results);
        sys.settlement().slashEquivocation(evidence, results);
    }

    /// @notice Finding 4: adds a 0-reward task with far deadlines to the owner's current round.
    function pollutePool() external asActor {
        if (_owner.modelId() == 0 || !ghost.roomForTask()) return;
        TaskMarket.TaskParams memory p = TaskMarket.TaskParams({
            kind: keccak256("train"),
            specDigest: keccak256("junk"),
            pool: _owner.pool(),
            inputsRoot: bytes32(0),
            baseReward: 0,
            bond: 0,
            stakeSlash: 0,
            growthBps: 0,
            maxParticipants: 1,
            quorum: 1,
            committeeSize: 1,
            commitDeadline: uint64(block.timestamp + 365 days),
            revealDeadline: uint64(block.timestamp + 730 days)
        });
        ghost.addTask(sys.market().createTask(p));
    }

    /// @notice Finding 4: publishes the owner's finished aggregate task into its own model first.
    function squatVersion() external asActor {
        uint256 taskId = _owner.aggregateTask();
        if (taskId == 0 || sys.models().modelOfTask(taskId) != 0) return;
        TaskMarket.Task memory task = sys.market().getTask(taskId);
        if (task.status != TaskMarket.TaskStatus.Finalized || sys.market().poolOpenCount(task.params.pool) > 0) return;
        if (sys.market().poolInputsRoot(task.params.pool) != task.params.inputsRoot) return;
        _ownModel();
        sys.models().publishVersion(modelId, taskId);
    }

    /// @notice Withdraws the dividends of the units it got.
    function withdrawDividends() external asActor {
        _withdrawDividends();
    }

    /// @notice Claims epoch credits for the units it got.
    function claimEpochCredits() external asActor {
        _claimEpochCredits();
    }

    function _ownModel() private {
        if (modelId == 0) modelId = sys.models().createModel("outsider-model", keccak256("outsider"));
    }

    function _stakeBefore(address host) private view returns (uint256) {
        return sys.registry().stakeAt(host, block.number - 1);
    }

    function _settle(InferenceSettlement.Request memory request, InferenceSettlement.HostResult[] memory results)
        private
    {
        bytes memory sig = signRequest(sys.settlement(), sys.credits(), request, key);
        uint256 unitsBefore = sys.shares().totalUnits();
        (bytes32 session, uint256 debited) =
            sys.settlement().settleSession(InferenceSettlement.Receipt(request, 0, keccak256("votes"), results), sig);
        ghost.recordSettle(session, unitsBefore, debited, results);
    }
}
