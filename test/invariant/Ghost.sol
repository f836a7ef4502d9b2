// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {InferenceSettlement} from "../../contracts/InferenceSettlement.sol";
import {TaskMarket} from "../../contracts/TaskMarket.sol";
import {ConcordSystem} from "./ConcordSystem.sol";
import {vm} from "./lib/Vm.sol";

/// @title Ghost
/// @notice What the handlers know that the contracts do not say: the clock, every actor and
/// whether it is honest, the tasks and sessions created, the result an honest node computes,
/// the money each actor put in and took out, and units minted against value paid. Handlers
/// write it; the invariants read it. No protocol rule is re-implemented here.
contract Ghost {
    /// @notice Mint sources, for the units-against-value ghosts.
    uint256 public constant TASKS = 0;
    uint256 public constant SESSIONS = 1;
    /// @notice Seconds per block: every tick is one 12-s slot.
    uint256 public constant SLOT = 12;
    /// @notice Most tasks and sessions per run (bounds the loops of the invariants).
    uint256 public constant MAX_TASKS = 16;

    ConcordSystem public immutable sys;

    uint256 public time = 1_700_000_000;
    uint256 public blockNumber = 1;

    address[] private _actors;
    address[] private _nodes;
    mapping(address => bool) public isHonest;
    mapping(address => uint256) public keyOf;
    uint256[] private _tasks;
    /// @notice Whether a task was finalized (lets the handlers skip it cheaply).
    mapping(uint256 taskId => bool) public settled;
    mapping(address => uint256) public startValue;

    /// @notice Stake an actor put into / took out of the registry itself.
    mapping(address => uint256) public deposited;
    mapping(address => uint256) public withdrawnStake;
    /// @notice Losses of an honest member in tasks a dishonest stake majority decided (not the protocol's fault).
    mapping(address => uint256) public excusedStake;
    mapping(address => uint256) public excusedFunds;

    /// @notice Units minted and value paid per mint source (task rewards in tokens, bought credits
    /// debited); mints above what the value paid buys (or, for tasks, without a protocol fee).
    uint256[2] public unitsMinted;
    uint256[2] public valuePaid;
    uint256[2] public unpaidMints;
    /// @notice Settlements that credited a host with more wins than the session's tokens.
    uint256 public winsAboveTokens;

    /// @notice Attacks (of the attacker handlers) that went through instead of reverting, and the last one's name.
    uint256 public attacksSucceeded;
    string public lastAttack;

    /// @notice Owner rounds that could not be published because a stranger's task settled into them.
    uint256 public poisonedRounds;

    /// @notice Tokens AccessCredits paid out as dividends, in total and per epoch.
    uint256 public dividendsClaimed;
    mapping(uint256 epoch => uint256) public epochDividendsClaimed;
    /// @notice Stake InferenceSettlement slashed (it keeps it).
    uint256 public equivocationSlashed;

    /// @notice Credits created (bought, claimed) and debited; credits claimed per epoch.
    uint256 public creditsIssued;
    uint256 public creditsDebited;
    mapping(uint256 epoch => uint256) public epochCreditsClaimed;

    /// @notice Sessions a gateway served for a signed, funded request, and those it was never paid for.
    uint256 public sessionsServed;
    uint256 public servedSessionsUnpaid;

    /// @param sys_ The deployed contracts.
    constructor(ConcordSystem sys_) {
        sys = sys_;
    }

    // ------------------------------------------------------------------ clock

    /// @notice Applies the ghost clock to the EVM (each handler call starts with it).
    function sync() public {
        vm.warp(time);
        vm.roll(blockNumber);
    }

    /// @notice Advances the clock by `slots` blocks of 12 s.
    function advance(uint256 slots) external {
        time += slots * SLOT;
        blockNumber += slots;
        sync();
    }

    // ----------------------------------------------------------------- actors

    /// @notice Records an actor: its key, honesty, whether it is a node, and its starting token value.
    function addActor(uint256 key, bool honest, bool node) external returns (address account) {
        account = vm.addr(key);
        _actors.push(account);
        if (node) _nodes.push(account);
        keyOf[account] = key;
        isHonest[account] = honest;
    }

    /// @notice Fixes `account`'s starting value (its balance plus stake after setup).
    function setStartValue(address account, uint256 value) external {
        startValue[account] = value;
    }

    /// @notice Every actor (for the supply and solvency sums).
    function actors() external view returns (address[] memory) {
        return _actors;
    }

    /// @notice Every actor that can sit on a committee or host a shard.
    function nodes() external view returns (address[] memory) {
        return _nodes;
    }

    // ------------------------------------------------------------------ tasks

    /// @notice Records a created task.
    function addTask(uint256 taskId) external {
        _tasks.push(taskId);
    }

    /// @notice Every task created through a handler.
    function tasks() external view returns (uint256[] memory) {
        return _tasks;
    }

    /// @notice Whether another task may be created this run.
    function roomForTask() external view returns (bool) {
        return _tasks.length < MAX_TASKS;
    }

    /// @notice The result an honest node computes for `taskId` (the model owner's aggregates included).
    function truthOf(uint256 taskId) public pure returns (bytes32) {
        return keccak256(abi.encode("concord.truth", taskId));
    }

    /// @notice Records stake `account` deposited or withdrew itself.
    function recordStake(address account, uint256 added, uint256 withdrawn) external {
        deposited[account] += added;
        withdrawnStake[account] += withdrawn;
    }

    /// @notice After `finalize(taskId)`: units minted against rewards paid (and the fee AccessCredits
    /// received, `feePaid`), and honest members' losses in a task a dishonest majority won.
    function recordFinalize(uint256 taskId, uint256 unitsBefore, uint256 feePaid) external {
        TaskMarket market = sys.market();
        TaskMarket.Task memory task = market.getTask(taskId);
        settled[taskId] = true;
        uint256 minted = sys.shares().totalUnits() - unitsBefore;
        uint256 paid = task.status == TaskMarket.TaskStatus.Finalized ? task.reward * task.winners : 0;
        bool over = minted > paid * market.SHARE_UNITS_PER_TOKEN() / 1e18 || (minted > 0 && feePaid == 0);
        _recordMint(TASKS, minted, paid, over);
        if (task.status != TaskMarket.TaskStatus.Finalized || task.winner == truthOf(taskId)) return;
        address[] memory committee = market.committeeOf(taskId);
        for (uint256 i; i < committee.length; ++i) {
            if (!isHonest[committee[i]]) continue;
            TaskMarket.Participant memory p = market.participantState(taskId, committee[i]);
            if (p.status != TaskMarket.ParticipantStatus.Revealed || p.resultDigest == task.winner) continue;
            excusedStake[committee[i]] += p.slashed;
            excusedFunds[committee[i]] += p.slashed + task.params.bond;
        }
    }

    // --------------------------------------------------------------- sessions

    /// @notice After `settleSession` of a `tokens`-token session: units minted against bought
    /// credits debited, and each host's wins against the tokens.
    function recordSettle(
        uint256 unitsBefore,
        uint256 debited,
        uint256 bought,
        uint256 tokens,
        InferenceSettlement.HostResult[] memory results
    ) external {
        uint256 minted = sys.shares().totalUnits() - unitsBefore;
        _recordMint(SESSIONS, minted, bought, minted > bought * sys.UNITS_PER_CREDIT());
        creditsDebited += debited;
        for (uint256 i; i < results.length; ++i) {
            if (results[i].wins > tokens) ++winsAboveTokens;
        }
    }

    /// @notice Records an attack that should have reverted but went through.
    function recordAttack(string calldata name) external {
        ++attacksSucceeded;
        lastAttack = name;
    }

    /// @notice Records `amount` tokens of `epoch`'s dividends paid out.
    function recordDividends(uint256 epoch, uint256 amount) external {
        dividendsClaimed += amount;
        epochDividendsClaimed[epoch] += amount;
    }

    /// @notice Records stake InferenceSettlement slashed for a proven equivocation.
    function recordEquivocationSlash(uint256 amount) external {
        equivocationSlashed += amount;
    }

    /// @notice Records a session served for a signed, funded request (`paid` once settled).
    function recordServed(bool paid) external {
        ++sessionsServed;
        if (!paid) ++servedSessionsUnpaid;
    }

    /// @notice Records an owner round made unpublishable by a stranger's task.
    function recordPoisonedRound() external {
        ++poisonedRounds;
    }

    // ---------------------------------------------------------------- credits

    /// @notice Records credits bought or claimed (`epoch` set for claims).
    function recordCredits(uint256 amount, bool claimed, uint256 epoch) external {
        creditsIssued += amount;
        if (!claimed) return;
        epochCreditsClaimed[epoch] += amount;
    }

    function _recordMint(uint256 source, uint256 minted, uint256 paid, bool over) private {
        unitsMinted[source] += minted;
        valuePaid[source] += paid;
        if (over) ++unpaidMints[source];
    }
}
