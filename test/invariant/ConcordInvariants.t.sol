// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessCredits} from "../../contracts/AccessCredits.sol";
import {TaskMarket} from "../../contracts/TaskMarket.sol";
import {ConcordSystem} from "./ConcordSystem.sol";
import {Ghost} from "./Ghost.sol";
import {ClockHandler} from "./handlers/ClockHandler.sol";
import {CreatorHandler} from "./handlers/CreatorHandler.sol";
import {GatewayHandler} from "./handlers/GatewayHandler.sol";
import {ModelOwnerHandler} from "./handlers/ModelOwnerHandler.sol";
import {NodeHandler} from "./handlers/NodeHandler.sol";
import {OutsiderHandler} from "./handlers/OutsiderHandler.sol";
import {QuerierHandler} from "./handlers/QuerierHandler.sol";
import {InvariantTest} from "./lib/InvariantTest.sol";
import {vm} from "./lib/Vm.sol";

/// @title ConcordInvariants
/// @notice Every invariant of the Concord contracts, checked by forge after each call of a random
/// sequence of handler operations (one handler per actor). The `fN` in a comment names the issue-15
/// finding whose fix an invariant guards; the attacker handlers' attacks must revert, and
/// `invariant_attacksRevert` fails on the first that goes through.
contract ConcordInvariants is InvariantTest {
    uint256 private constant GRANT = 1000 ether;

    ConcordSystem private sys;
    Ghost private ghost;
    NodeHandler[] private honest;
    NodeHandler[] private dishonest;
    CreatorHandler private creator;
    ModelOwnerHandler private owner;
    QuerierHandler private querier;
    GatewayHandler private gateway;
    OutsiderHandler private outsider;
    ClockHandler private clock;

    /// @notice Deploys the contracts and the actors: three honest and two dishonest nodes (the
    /// honest ones registered), a creator, a model owner, a querier, a gateway (a registered node)
    /// and an outsider.
    function setUp() public {
        vm.warp(1_700_000_000); // the ghost clock's start: AccessCredits' epoch 0 begins here
        sys = new ConcordSystem();
        ghost = new Ghost(sys);
        ghost.sync();
        for (uint256 i; i < 3; ++i) {
            honest.push(new NodeHandler(sys, ghost, 0x1001 + i, true));
            dishonest.push(new NodeHandler(sys, ghost, 0x2001 + i, false));
        }
        dishonest.pop();
        creator = new CreatorHandler(sys, ghost, 0x3001);
        owner = new ModelOwnerHandler(sys, ghost, 0x4001);
        querier = new QuerierHandler(sys, ghost, 0x5001);
        gateway = new GatewayHandler(sys, ghost, 0x6001, honest, querier.actor());
        querier.setGateway(gateway);
        outsider = new OutsiderHandler(sys, ghost, 0x7001, honest, owner, gateway);
        clock = new ClockHandler(ghost, sys.market(), honest);
        address[] memory actors = ghost.actors();
        for (uint256 i; i < actors.length; ++i) {
            if (actors[i] == outsider.actor()) continue;
            sys.fund(actors[i], GRANT);
            ghost.setStartValue(actors[i], GRANT);
        }
        gateway.register(sys.MIN_STAKE());
        for (uint256 i; i < honest.length; ++i) {
            honest[i].register(150 ether + i * 50 ether);
            vm.label(honest[i].actor(), string.concat("honest", vm.toString(i)));
        }
        _targets();
    }

    // ------------------------------------------------------------ conservation

    /// @notice The token supply is fixed and every token is held by an actor or a contract.
    function invariant_supplyConserved() public view {
        uint256 total;
        address[] memory actors = ghost.actors();
        address[] memory contracts = sys.contractAddresses();
        for (uint256 i; i < actors.length; ++i) {
            total += sys.token().balanceOf(actors[i]);
        }
        for (uint256 i; i < contracts.length; ++i) {
            total += sys.token().balanceOf(contracts[i]);
        }
        vm.assertEq(sys.token().totalSupply(), sys.SUPPLY(), "totalSupply changed");
        vm.assertEq(total, sys.SUPPLY(), "tokens outside the known holders");
    }

    /// @notice TaskMarket holds every open escrow and bond and every unclaimed payout and refund.
    function invariant_taskMarketSolvent() public view {
        TaskMarket market = sys.market();
        uint256 owed;
        uint256[] memory ids = ghost.tasks();
        for (uint256 i; i < ids.length; ++i) {
            TaskMarket.Task memory task = market.getTask(ids[i]);
            if (task.status == TaskMarket.TaskStatus.Open) {
                owed += task.escrow + task.params.bond * task.committed;
                continue;
            }
            if (!task.creatorClaimed) owed += task.creatorRefund;
            address[] memory committee = market.committeeOf(ids[i]);
            for (uint256 j; j < committee.length; ++j) {
                TaskMarket.Participant memory p = market.participantState(ids[i], committee[j]);
                if (!p.claimed) owed += p.payout;
            }
        }
        vm.assertGe(sys.token().balanceOf(address(market)), owed, "TaskMarket owes more than it holds");
    }

    /// @notice NodeRegistry holds every node's active and pending stake.
    function invariant_registrySolvent() public view {
        uint256 owed;
        address[] memory actors = ghost.actors();
        for (uint256 i; i < actors.length; ++i) {
            owed += sys.registry().slashableOf(actors[i]);
        }
        vm.assertGe(sys.token().balanceOf(address(sys.registry())), owed, "NodeRegistry owes more than it holds");
    }

    /// @notice AccessCredits holds every dividend paid to it and not claimed yet (purchases and
    /// task fees, rounding dust included), and no epoch pays out more than it received.
    function invariant_accessCreditsSolvent() public view {
        uint256 paid;
        uint256 last = sys.credits().currentEpoch() + 1;
        for (uint256 e; e <= last; ++e) {
            paid += sys.credits().dividendsIn(e);
            vm.assertLe(ghost.epochDividendsClaimed(e), sys.credits().dividendsIn(e), "an epoch paid out too much");
        }
        vm.assertEq(
            sys.token().balanceOf(address(sys.credits())),
            paid - ghost.dividendsClaimed(),
            "AccessCredits does not hold its unclaimed dividends"
        );
    }

    /// @notice InferenceSettlement holds exactly the stake it slashed, and nothing else.
    function invariant_settlementHoldsOnlySlashes() public view {
        vm.assertEq(
            sys.token().balanceOf(address(sys.settlement())),
            ghost.equivocationSlashed(),
            "InferenceSettlement holds tokens it did not slash"
        );
    }

    /// @notice Credits are created only by purchase or epoch claim and leave only by settlement
    /// (held or deposited for the gateway in between); no epoch hands out more than its credits.
    function invariant_creditsConserved() public view {
        uint256 held;
        address[] memory actors = ghost.actors();
        for (uint256 i; i < actors.length; ++i) {
            held += sys.credits().creditsOf(actors[i]);
        }
        AccessCredits.Deposit memory d = sys.credits().depositOf(querier.actor(), gateway.actor());
        held += d.granted + d.bought;
        vm.assertEq(held, ghost.creditsIssued() - ghost.creditsDebited(), "credits created or destroyed");
        uint256 current = sys.credits().currentEpoch();
        for (uint256 e; e <= current; ++e) {
            vm.assertLe(ghost.epochCreditsClaimed(e), sys.CREDITS_PER_EPOCH(), "epoch credits above creditsPerEpoch");
        }
    }

    // ------------------------------------------------ issue-15 rules (fN: finding)

    /// @notice Every attack of the attacker handlers reverted with the error of the rule it breaks
    /// (f1 stakeless session, f2 framing, f3 creator bounds, f4 pool and version squatting, f6 nonce burning).
    function invariant_attacksRevert() public view {
        vm.assertEq(ghost.attacksSucceeded(), 0, string.concat("an attack went through: ", ghost.lastAttack()));
    }

    /// @notice f8: a task mints each winner at most `reward * 1e6 / 1e18` units, and mints only when
    /// it paid the protocol fee to the existing units (genesis units exist, so always).
    function invariant_taskUnitsOnlyAgainstRewards() public view {
        vm.assertEq(ghost.unpaidMints(ghost.TASKS()), 0, "a settled task minted units beyond the reward it paid");
    }

    /// @notice f1: a session mints at most `unitsPerCredit` units per bought credit it debited.
    function invariant_sessionUnitsOnlyAgainstBoughtCredits() public view {
        vm.assertEq(ghost.unpaidMints(ghost.SESSIONS()), 0, "a session minted units beyond the bought credits it debited");
    }

    /// @notice f1: no settled result credits a host with more wins than the session's tokens.
    function invariant_winsBoundedByTokens() public view {
        vm.assertEq(ghost.winsAboveTokens(), 0, "a receipt credited a host with more wins than tokens");
    }

    /// @notice f2: an honest node's stake only leaves the registry by its own withdrawal
    /// (or, excused, by a task a dishonest stake majority decided).
    function invariant_honestStakeOnlyLeavesByWithdraw() public view {
        for (uint256 i; i < honest.length; ++i) {
            address node = honest[i].actor();
            vm.assertEq(
                sys.registry().slashableOf(node) + ghost.excusedStake(node),
                ghost.deposited(node) - ghost.withdrawnStake(node),
                "an honest node's stake was slashed without a contradiction it signed"
            );
        }
    }

    /// @notice f3 (and 2, 7): an honest committee member that always commits and reveals the
    /// true result never ends below its starting tokens (balance, stake, bonds in open tasks,
    /// unclaimed payouts), except for losses in tasks a dishonest majority decided.
    function invariant_honestMemberNeverLoses() public view {
        for (uint256 i; i < honest.length; ++i) {
            address node = honest[i].actor();
            vm.assertGe(
                _worth(node) + ghost.excusedFunds(node), ghost.startValue(node), "an honest committee member lost funds"
            );
        }
    }

    /// @notice f4: only the model owner adds tasks to its rounds.
    function invariant_roundsHoldOnlyOwnerTasks() public view {
        if (owner.modelId() == 0) return;
        uint256[] memory ids = sys.market().poolTasks(owner.pool());
        for (uint256 i; i < ids.length; ++i) {
            vm.assertTrue(sys.market().getTask(ids[i]).creator == owner.actor(), "a stranger's task in the owner's round");
        }
    }

    /// @notice f4: no stranger's task poisons an owner's round (its aggregate stays publishable).
    function invariant_roundsNeverPoisoned() public view {
        vm.assertEq(ghost.poisonedRounds(), 0, "a stranger's task made the owner's round unpublishable");
    }

    /// @notice f4: every published version comes from an aggregate task its model's owner created.
    function invariant_versionsFromOwnersTasks() public view {
        for (uint256 m = 1; m <= sys.models().modelCount(); ++m) {
            (, address modelOwner) = sys.models().getModel(m);
            for (uint256 v = 1; v < sys.models().versionCount(m); ++v) {
                uint256 taskId = sys.models().versionAt(m, v).taskId;
                vm.assertTrue(sys.market().getTask(taskId).creator == modelOwner, "a version squatted from another owner");
            }
        }
    }

    /// @notice f6: a gateway that served a session for a signed request whose deposit it saw
    /// locked past the deadline gets paid.
    function invariant_servedSessionsGetPaid() public view {
        vm.assertEq(ghost.servedSessionsUnpaid(), 0, "a served session could not be settled");
    }

    // --------------------------------------------------------------- helpers

    /// @dev Everything `node` owns in tokens, wherever the protocol holds it for it.
    function _worth(address node) private view returns (uint256 worth) {
        TaskMarket market = sys.market();
        worth = sys.token().balanceOf(node) + sys.registry().slashableOf(node);
        uint256[] memory ids = ghost.tasks();
        for (uint256 i; i < ids.length; ++i) {
            TaskMarket.Task memory task = market.getTask(ids[i]);
            TaskMarket.Participant memory p = market.participantState(ids[i], node);
            if (task.status != TaskMarket.TaskStatus.Open) worth += market.payoutOf(ids[i], node);
            else if (uint8(p.status) >= uint8(TaskMarket.ParticipantStatus.Committed)) worth += task.params.bond;
        }
    }

    /// @dev The operations forge may call, per handler (one handler per actor).
    function _targets() private {
        for (uint256 i; i < honest.length; ++i) {
            bytes4[] memory s = new bytes4[](6);
            s[0] = NodeHandler.stake.selector;
            s[1] = NodeHandler.requestUnstake.selector;
            s[2] = NodeHandler.withdraw.selector;
            s[3] = NodeHandler.performDuties.selector;
            s[4] = NodeHandler.claimDividends.selector;
            s[5] = NodeHandler.claimEpochCredits.selector;
            targetSelector(address(honest[i]), s);
        }
        for (uint256 i; i < dishonest.length; ++i) {
            bytes4[] memory s = new bytes4[](10);
            s[0] = NodeHandler.register.selector;
            s[1] = NodeHandler.stake.selector;
            s[2] = NodeHandler.requestUnstake.selector;
            s[3] = NodeHandler.withdraw.selector;
            s[4] = NodeHandler.commit.selector;
            s[5] = NodeHandler.reveal.selector;
            s[6] = NodeHandler.finalize.selector;
            s[7] = NodeHandler.claim.selector;
            s[8] = NodeHandler.claimDividends.selector;
            s[9] = NodeHandler.claimEpochCredits.selector;
            targetSelector(address(dishonest[i]), s);
        }
        bytes4[] memory c = new bytes4[](5);
        c[0] = CreatorHandler.registerOwnNode.selector;
        c[1] = CreatorHandler.createTask.selector;
        c[2] = CreatorHandler.finalize.selector;
        c[3] = CreatorHandler.claim.selector;
        c[4] = CreatorHandler.createAbusiveTask.selector;
        targetSelector(address(creator), c);
        bytes4[] memory o = new bytes4[](6);
        o[0] = ModelOwnerHandler.createModel.selector;
        o[1] = ModelOwnerHandler.createTrainingTask.selector;
        o[2] = ModelOwnerHandler.createAggregateTask.selector;
        o[3] = ModelOwnerHandler.publishVersion.selector;
        o[4] = ModelOwnerHandler.finalize.selector;
        o[5] = ModelOwnerHandler.claim.selector;
        targetSelector(address(owner), o);
        bytes4[] memory q = new bytes4[](6);
        q[0] = QuerierHandler.buyCredits.selector;
        q[1] = QuerierHandler.claimEpochCredits.selector;
        q[2] = QuerierHandler.burnServedNonce.selector;
        q[3] = QuerierHandler.deposit.selector;
        q[4] = QuerierHandler.requestWithdrawal.selector;
        q[5] = QuerierHandler.withdraw.selector;
        targetSelector(address(querier), q);
        bytes4[] memory g = new bytes4[](2);
        g[0] = GatewayHandler.serve.selector;
        g[1] = GatewayHandler.settle.selector;
        targetSelector(address(gateway), g);
        bytes4[] memory x = new bytes4[](7);
        x[0] = OutsiderHandler.settleSelfSession.selector;
        x[1] = OutsiderHandler.frameHost.selector;
        x[2] = OutsiderHandler.pollutePool.selector;
        x[3] = OutsiderHandler.squatVersion.selector;
        x[4] = OutsiderHandler.claimDividends.selector;
        x[5] = OutsiderHandler.claimEpochCredits.selector;
        x[6] = OutsiderHandler.rollDividends.selector;
        targetSelector(address(outsider), x);
        bytes4[] memory t = new bytes4[](1);
        t[0] = ClockHandler.advance.selector;
        targetSelector(address(clock), t);
    }
}
