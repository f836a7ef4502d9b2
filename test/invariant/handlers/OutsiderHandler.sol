// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {InferenceSettlement} from "../../../contracts/InferenceSettlement.sol";
import {ModelRegistry} from "../../../contracts/ModelRegistry.sol";
import {TaskMarket} from "../../../contracts/TaskMarket.sol";
import {ConcordSystem} from "../ConcordSystem.sol";
import {Ghost} from "../Ghost.sol";
import {bound} from "../lib/Vm.sol";
import {ActorHandler} from "./ActorHandler.sol";
import {GatewayHandler} from "./GatewayHandler.sol";
import {ModelOwnerHandler} from "./ModelOwnerHandler.sol";
import {NodeHandler} from "./NodeHandler.sol";
import {MATRIX, requestOf, signRequest} from "./Sessions.sol";

/// @title OutsiderHandler
/// @notice A stakeless, unregistered account trying every attack of issue 15 that needs no
/// stake: a 0-price session to itself with any wins (finding 1), framing an honest host of a
/// settled session with its signatures over different inputs (finding 2), a 0-reward task in the
/// owner's round and publishing the owner's aggregate in its own model (finding 4). Each attack
/// must revert with the error of the rule it breaks; one that goes through (or reverts with
/// another error, so never reached that rule) is recorded in the ghost. It also claims what it may earn
/// and rolls stranded dividends forward, as any keeper may.
contract OutsiderHandler is ActorHandler {
    NodeHandler[] private _hosts;
    ModelOwnerHandler private immutable _owner;
    GatewayHandler private immutable _gateway;
    uint256 public modelId;
    uint256 private _nonce;

    /// @param hosts Honest hosts it can ask to serve; @param owner the model owner it attacks;
    /// @param gateway the gateway whose settled sessions it replays.
    constructor(
        ConcordSystem sys_,
        Ghost ghost_,
        uint256 key_,
        NodeHandler[] memory hosts,
        ModelOwnerHandler owner,
        GatewayHandler gateway
    ) ActorHandler(sys_, ghost_, key_, false, false) {
        for (uint256 i; i < hosts.length; ++i) {
            _hosts.push(hosts[i]);
        }
        _owner = owner;
        _gateway = gateway;
    }

    /// @notice Finding 1: settles a 0-price session it requested from itself, on its own model,
    /// naming itself host of up to 3 shards with any number of wins (it is no active node).
    function settleSelfSession(uint256 wins, uint256 shards, uint256 tokens) external asActor {
        _ownModel();
        shards = bound(shards, 1, 3);
        InferenceSettlement.Request memory request = requestOf(actor, actor, modelId, 0, 0, ++_nonce);
        InferenceSettlement.HostResult[] memory results = new InferenceSettlement.HostResult[](shards);
        for (uint256 i; i < shards; ++i) {
            results[i] =
                InferenceSettlement.HostResult(0, MATRIX, uint32(i), actor, uint32(bound(wins, 1, type(uint32).max)), 0);
        }
        tokens = bound(tokens, 0, 8);
        bytes memory sig = signRequest(sys.settlement(), sys.credits(), request, key);
        uint256 unitsBefore = sys.shares().totalUnits();
        try sys.settlement().settleSession(InferenceSettlement.Receipt(request, tokens, keccak256("votes"), results), sig)
        returns (bytes32, uint256 debited) {
            ghost.recordSettle(unitsBefore, debited, 0, tokens, results);
            ghost.recordAttack("stakeless self-settled session");
        } catch (bytes memory err) {
            _expectError(err, InferenceSettlement.SettlementNotActiveNode.selector, "stakeless self-settled session");
        }
    }

    /// @notice Finding 2: in the gateway's last settled session, sends the victim host a different
    /// input than the other hosts for the same step and reports the victim with their signatures.
    function frameHost(uint256 victimSeed, uint64 step) external asActor {
        (bytes32 session, InferenceSettlement.HostResult[] memory results) = _gateway.lastSettled();
        if (session == bytes32(0) || results.length < 2) return;
        uint256 v = victimSeed % results.length;
        NodeHandler victim = _hostOf(results[v].host);
        if (address(victim) == address(0)) return;
        InferenceSettlement.Evidence memory evidence;
        evidence.session = session;
        evidence.accused = victim.serve(session, step, 0, MATRIX, 0, keccak256("input the victim was sent"));
        evidence.majority = new InferenceSettlement.Statement[](results.length - 1);
        uint256 j;
        for (uint256 i; i < results.length; ++i) {
            if (i == v) continue;
            // results are sorted by host within the one shard: the majority stays sorted.
            evidence.majority[j++] =
                _hostOf(results[i].host).serve(session, step, 0, MATRIX, 0, keccak256("input the others were sent"));
        }
        try sys.settlement().slashEquivocation(evidence, results) returns (uint256 slashed) {
            ghost.recordEquivocationSlash(slashed);
            ghost.recordAttack("honest host framed with different inputs");
        } catch (bytes memory err) {
            _expectError(err, InferenceSettlement.SettlementInvalidEvidence.selector, "frame with different inputs");
        }
    }

    /// @notice Finding 4: adds a 0-reward task to the owner's current round.
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
            commitDeadline: uint64(block.timestamp + 600),
            revealDeadline: uint64(block.timestamp + 1200)
        });
        try sys.market().createTask(p) returns (uint256 taskId) {
            ghost.addTask(taskId);
            ghost.recordAttack("stranger's task in the owner's round");
        } catch (bytes memory err) {
            _expectError(err, TaskMarket.TaskPoolNotAllowed.selector, "stranger's task in the owner's round");
        }
    }

    /// @notice Finding 4: publishes the owner's finished aggregate task (the pending one, else the
    /// last published) into its own model.
    function squatVersion() external asActor {
        uint256 taskId = _owner.aggregateTask();
        if (taskId == 0) taskId = _owner.publishedTask();
        if (taskId == 0) return;
        TaskMarket.Task memory task = sys.market().getTask(taskId);
        if (task.status != TaskMarket.TaskStatus.Finalized || sys.market().poolOpenCount(task.params.pool) > 0) return;
        _ownModel();
        if (sys.models().isPublished(modelId, taskId)) return;
        try sys.models().publishVersion(modelId, taskId) {
            ghost.recordAttack("owner's aggregate published in another model");
        } catch (bytes memory err) {
            _expectError(err, ModelRegistry.ModelPoolNotOwned.selector, "owner's aggregate published in another model");
        }
    }

    /// @notice Claims its dividends of an ended epoch picked by `seed`.
    function claimDividends(uint256 seed) external asActor {
        _claimDividends(seed);
    }

    /// @notice Claims epoch credits for the units it got.
    function claimEpochCredits() external asActor {
        _claimEpochCredits();
    }

    /// @notice As a keeper: moves the dividends of an ended epoch that never had a snapshot forward.
    function rollDividends(uint256 seed) external asActor {
        uint256 current = sys.credits().currentEpoch();
        if (current == 0) return;
        uint256 epoch = seed % current;
        (bool taken,) = sys.credits().epochSnapshotBlock(epoch);
        if (taken || sys.credits().dividendsIn(epoch) == 0) return;
        sys.credits().rollDividends(epoch);
    }

    function _ownModel() private {
        if (modelId == 0) modelId = sys.models().createModel("outsider-model", keccak256("outsider"));
    }

    function _hostOf(address account) private view returns (NodeHandler) {
        for (uint256 i; i < _hosts.length; ++i) {
            if (_hosts[i].actor() == account) return _hosts[i];
        }
        return NodeHandler(address(0));
    }
}
