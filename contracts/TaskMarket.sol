// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {AccessCredits} from "./AccessCredits.sol";
import {NodeRegistry} from "./NodeRegistry.sol";
import {Shares} from "./Shares.sol";

/// @title TaskMarket
/// @notice Concord's task lifecycle: create (escrow) -> committee drawn from chain randomness ->
/// commit (bond) -> reveal -> finalize by stake-weighted strict majority -> claim (pull payments).
/// The settlement rule is documented in docs/ledger.md and mirrored by src/core/settlement.ts.
/// @dev The only external calls during settlement go to the token, the NodeRegistry, the Shares
/// and the AccessCredits contracts fixed at construction; every state-changing entry point is
/// nonReentrant.
contract TaskMarket is ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice `kind` of aggregate tasks: `keccak256("aggregate")`.
    bytes32 public constant AGGREGATE_KIND = keccak256("aggregate");
    /// @notice Ownership share units minted per whole token (1e18 base units) of reward paid: each
    /// winner gets `reward * SHARE_UNITS_PER_TOKEN / 1e18` units, so a task that pays nothing mints nothing.
    uint256 public constant SHARE_UNITS_PER_TOKEN = 1_000_000;
    /// @notice Most non-aggregate tasks in one pool (bounds `poolWinners` and ModelRegistry's check).
    uint256 public constant MAX_POOL_TASKS = 256;
    /// @notice Largest committee (bounds the loops of drawing and settlement).
    uint256 public constant MAX_COMMITTEE = 64;
    uint256 private constant BPS = 10_000;
    uint256 private constant TOKEN = 1e18;
    /// @dev blockhash() only sees the 256 most recent blocks.
    uint256 private constant BLOCKHASH_WINDOW = 256;

    /// @notice Lifecycle of a task. `None` means the id does not exist.
    enum TaskStatus {
        None,
        Open,
        Finalized,
        Failed
    }

    /// @notice Where a committee member stands in a task.
    enum ParticipantStatus {
        None,
        Member,
        Committed,
        Revealed
    }

    /// @notice What a creator chooses for a task (see docs/ledger.md for the meaning of each).
    struct TaskParams {
        bytes32 kind;
        bytes32 specDigest;
        bytes32 pool;
        bytes32 inputsRoot;
        uint256 baseReward;
        uint256 bond;
        uint256 stakeSlash;
        uint32 growthBps;
        uint32 maxParticipants;
        uint32 quorum;
        uint32 committeeSize;
        uint64 commitDeadline;
        uint64 revealDeadline;
    }

    /// @notice Protocol bounds on what creators choose, and the protocol fee; fixed at deployment.
    /// @param minCommitWindow Least `commitDeadline - creation time`, in seconds.
    /// @param minRevealWindow Least `revealDeadline - commitDeadline`, in seconds.
    /// @param maxDuration Most `revealDeadline - creation time`, in seconds (so every round ends).
    /// @param maxBondMultiple `bond <= baseReward * maxBondMultiple`.
    /// @param maxSlashMultiple `stakeSlash <= baseReward * maxSlashMultiple`.
    /// @param feeBps Fee on the rewards a winning task pays, in basis points, paid by the creator
    /// to the share holders (escrowed at creation).
    struct Limits {
        uint64 minCommitWindow;
        uint64 minRevealWindow;
        uint64 maxDuration;
        uint32 maxBondMultiple;
        uint32 maxSlashMultiple;
        uint32 feeBps;
    }

    /// @notice A task as stored; the settlement fields are set by `finalize`.
    struct Task {
        TaskParams params;
        address creator;
        uint64 createdBlock;
        TaskStatus status;
        bool committeeDrawn;
        bool creatorClaimed;
        uint32 committeeLength;
        uint32 committed;
        uint32 revealed;
        uint32 winners;
        bytes32 winner;
        uint256 escrow;
        uint256 reward;
        uint256 pot;
        uint256 creatorRefund;
    }

    /// @notice A committee member's state in one task (`stake`: its voting weight, packed with the
    /// status so a draw writes one slot per member).
    struct Participant {
        ParticipantStatus status;
        bool claimed;
        uint128 stake;
        bytes32 commitment;
        bytes32 resultDigest;
        uint256 payout;
        uint256 slashed;
    }

    IERC20 private immutable _token;
    NodeRegistry private immutable _registry;
    Shares private immutable _shares;
    AccessCredits private immutable _credits;
    uint64 private immutable _minCommitWindow;
    uint64 private immutable _minRevealWindow;
    uint64 private immutable _maxDuration;
    uint32 private immutable _maxBondMultiple;
    uint32 private immutable _maxSlashMultiple;
    uint32 private immutable _feeBps;

    uint256 private _taskCount;
    mapping(uint256 taskId => Task) private _tasks;
    mapping(uint256 taskId => address[]) private _committees;
    mapping(uint256 taskId => mapping(address account => Participant)) private _participants;
    mapping(bytes32 pool => uint256[]) private _poolTasks;
    mapping(bytes32 pool => uint256) private _poolOpen;
    mapping(address owner => mapping(address account => bool)) private _poolCreators;

    /// @notice `creator` created task `taskId`, escrowing `escrow` tokens.
    event TaskCreated(
        uint256 indexed taskId,
        address indexed creator,
        bytes32 indexed kind,
        bytes32 pool,
        bytes32 specDigest,
        uint256 escrow
    );
    /// @notice The committee of `taskId` was drawn from `seed`, in draw order.
    event CommitteeDrawn(uint256 indexed taskId, bytes32 seed, address[] members);
    /// @notice `account` committed `commitment` to `taskId`, posting the bond.
    event Committed(uint256 indexed taskId, address indexed account, bytes32 commitment);
    /// @notice `account` revealed `resultDigest` for `taskId`.
    event Revealed(uint256 indexed taskId, address indexed account, bytes32 resultDigest);
    /// @notice At settlement `account` lost `bondLost` and `stakeSlashed` of registry stake.
    event ParticipantPenalized(uint256 indexed taskId, address indexed account, uint256 bondLost, uint256 stakeSlashed);
    /// @notice `taskId` was decided: `winner` backed by `winners` of `revealers`, each earning `reward`
    /// plus an equal part of `pot` (lost bonds and slashed stake).
    event TaskFinalized(
        uint256 indexed taskId, bytes32 winner, uint256 revealers, uint256 winners, uint256 reward, uint256 pot
    );
    /// @notice `taskId` failed (below quorum or no strict majority); `forfeits` (bonds and slashed stake
    /// of committers that never revealed) are shared by the revealers, or go to the creator if none revealed.
    event TaskFailed(uint256 indexed taskId, uint256 revealers, uint256 forfeits);
    /// @notice Winning `taskId` paid `fee` to the share holders (not emitted when no fee was due).
    event ProtocolFeePaid(uint256 indexed taskId, uint256 fee);
    /// @notice `owner` allowed (or disallowed) `account` to add tasks to `owner`'s pools.
    event PoolCreatorSet(address indexed owner, address indexed account, bool allowed);
    /// @notice `account` claimed `amount` tokens from `taskId`.
    event Claimed(uint256 indexed taskId, address indexed account, uint256 amount);

    /// @notice No task has this id.
    error TaskNotFound(uint256 taskId);
    /// @notice The parameters are invalid; `reason` names the problem.
    error TaskInvalidParams(string reason);
    /// @notice Batch arrays differ in length.
    error TaskLengthMismatch();
    /// @notice The committee can be drawn from block `readyAtBlock` on.
    error TaskCommitteeNotReady(uint256 taskId, uint256 readyAtBlock);
    /// @notice The committee is already drawn.
    error TaskCommitteeAlreadyDrawn(uint256 taskId);
    /// @notice No node was active at the end of the creation block.
    error TaskNoActiveNodes(uint256 taskId);
    /// @notice Commits closed at `commitDeadline` (or the task is settled).
    error TaskCommitClosed(uint256 taskId, uint64 commitDeadline);
    /// @notice `account` is not on the committee of `taskId`.
    error TaskNotCommitteeMember(uint256 taskId, address account);
    /// @notice `account` already committed to `taskId`.
    error TaskAlreadyCommitted(uint256 taskId, address account);
    /// @notice Reveals open at `commitDeadline` or when every member committed.
    error TaskRevealNotOpen(uint256 taskId, uint64 commitDeadline);
    /// @notice Reveals closed at `revealDeadline`.
    error TaskRevealClosed(uint256 taskId, uint64 revealDeadline);
    /// @notice The revealed digest and salt do not open the sender's commitment.
    error TaskCommitmentMismatch(uint256 taskId, address account);
    /// @notice `account` has no commitment in `taskId`.
    error TaskNotCommitted(uint256 taskId, address account);
    /// @notice `account` already revealed in `taskId`.
    error TaskAlreadyRevealed(uint256 taskId, address account);
    /// @notice Finalization opens at `revealDeadline` or when every committer revealed.
    error TaskFinalizeTooEarly(uint256 taskId, uint64 revealDeadline);
    /// @notice The task is already settled.
    error TaskAlreadyFinalized(uint256 taskId);
    /// @notice The task is not settled yet.
    error TaskNotFinalized(uint256 taskId);
    /// @notice `account` has nothing (left) to claim from `taskId`.
    error TaskNothingToClaim(uint256 taskId, address account);
    /// @notice `account` may not add tasks to `pool` (neither its owner nor allowed by it).
    error TaskPoolNotAllowed(bytes32 pool, address account);
    /// @notice `pool` already holds `MAX_POOL_TASKS` tasks.
    error TaskPoolFull(bytes32 pool);

    /// @param token_ The reward, escrow and bond token.
    /// @param registry_ The node registry (stake, activity, slashing; this contract must be a slasher).
    /// @param shares_ The ownership shares (this contract must be a minter).
    /// @param credits_ Where the protocol fee is paid, as the share holders' dividends.
    /// @param limits_ The protocol bounds on task parameters and the fee (see `Limits`).
    /// Requirements:
    /// - `minCommitWindow > 0`, `minRevealWindow > 0`, `maxDuration >= minCommitWindow + minRevealWindow`;
    /// - `feeBps <= 10000`.
    constructor(IERC20 token_, NodeRegistry registry_, Shares shares_, AccessCredits credits_, Limits memory limits_) {
        if (limits_.minCommitWindow == 0 || limits_.minRevealWindow == 0) revert TaskInvalidParams("zero window");
        if (limits_.maxDuration < uint256(limits_.minCommitWindow) + limits_.minRevealWindow) {
            revert TaskInvalidParams("maxDuration below the windows");
        }
        if (limits_.feeBps > BPS) revert TaskInvalidParams("feeBps above 10000");
        _token = token_;
        _registry = registry_;
        _shares = shares_;
        _credits = credits_;
        _minCommitWindow = limits_.minCommitWindow;
        _minRevealWindow = limits_.minRevealWindow;
        _maxDuration = limits_.maxDuration;
        _maxBondMultiple = limits_.maxBondMultiple;
        _maxSlashMultiple = limits_.maxSlashMultiple;
        _feeBps = limits_.feeBps;
        // AccessCredits pulls the protocol fee in `payDividends`; it is fixed here and trusted.
        token_.forceApprove(address(credits_), type(uint256).max);
    }

    // ----------------------------------------------------------------- pools

    /// @notice Allows (or disallows) `account` to add tasks, aggregate tasks included, to every pool
    /// of the caller (pools whose id starts with the caller's address, see `poolOwnerOf`).
    /// Requirements: none (an account only ever authorizes for its own pools).
    function setPoolCreator(address account, bool allowed) external {
        _poolCreators[msg.sender][account] = allowed;
        emit PoolCreatorSet(msg.sender, account, allowed);
    }

    // ---------------------------------------------------------------- create

    /// @notice Creates a task and escrows `escrowOf(maxParticipants, baseReward, growthBps)` tokens
    /// (the most the task can pay its winners, plus the protocol fee on that).
    /// Requirements:
    /// - `kind != 0`; `1 <= quorum <= committeeSize <= maxParticipants`, `committeeSize <= MAX_COMMITTEE`;
    /// - `now + minCommitWindow <= commitDeadline`, `commitDeadline + minRevealWindow <= revealDeadline`,
    ///   `revealDeadline <= now + maxDuration`;
    /// - `bond <= baseReward * maxBondMultiple`, `stakeSlash <= baseReward * maxSlashMultiple`;
    /// - aggregate tasks name a `pool` and an `inputsRoot`; other tasks have `inputsRoot == 0`;
    /// - a non-zero `pool` is owned by the caller or the caller is its owner's pool creator
    ///   (`TaskPoolNotAllowed`), and a non-aggregate task finds the pool below `MAX_POOL_TASKS` (`TaskPoolFull`);
    /// - the caller approved this contract for the escrow.
    function createTask(TaskParams calldata params) external nonReentrant returns (uint256 taskId) {
        uint256 escrow;
        (taskId, escrow) = _create(params);
        _token.safeTransferFrom(msg.sender, address(this), escrow);
    }

    /// @notice Creates several tasks with one token transfer; returns the first id (the rest follow).
    /// Requirements:
    /// - as `createTask` for each element; the caller approved the sum of the escrows.
    function createTasks(TaskParams[] calldata params) external nonReentrant returns (uint256 firstTaskId) {
        if (params.length == 0) revert TaskInvalidParams("no tasks");
        uint256 total;
        firstTaskId = _taskCount + 1;
        for (uint256 i; i < params.length; ++i) {
            (, uint256 escrow) = _create(params[i]);
            total += escrow;
        }
        _token.safeTransferFrom(msg.sender, address(this), total);
    }

    // ------------------------------------------------------------- committee

    /// @notice Draws the committee of `taskId` (`commit` does it too when needed): `committeeSize`
    /// distinct nodes among those active at the end of the creation block, weighted by their active
    /// stake then, without replacement, seeded by the hash of the creation block (or, once that is
    /// out of reach, of the latest block `createdBlock + 256 * k`). Those stakes are the members'
    /// voting weights.
    /// Requirements:
    /// - the task exists, its committee is not drawn, and the creation block is in the past;
    /// - at least one node was active at the end of the creation block.
    function drawCommittee(uint256 taskId) external nonReentrant {
        Task storage task = _existing(taskId);
        if (task.committeeDrawn) revert TaskCommitteeAlreadyDrawn(taskId);
        _draw(taskId, task);
    }

    // ---------------------------------------------------------------- commit

    /// @notice Commits `commitment = commitmentOf(taskId, resultDigest, salt, msg.sender)`, posts the
    /// bond and locks `stakeSlash` of the caller's registry stake until the task settles.
    /// Requirements:
    /// - the task is open and `block.timestamp < commitDeadline`;
    /// - the caller is on the committee (drawn here if needed) and has not committed;
    /// - the caller has `stakeSlash` of slashable stake not locked yet (NodeRegistry's `NodeStakeLocked`);
    /// - the caller approved this contract for `bond`.
    function commit(uint256 taskId, bytes32 commitment) external nonReentrant {
        uint256 bond = _commit(taskId, commitment);
        if (bond > 0) _token.safeTransferFrom(msg.sender, address(this), bond);
    }

    /// @notice `commit` for several tasks with one token transfer.
    /// Requirements:
    /// - equal array lengths; as `commit` for each pair; approval for the sum of the bonds.
    function commitMany(uint256[] calldata taskIds, bytes32[] calldata commitments) external nonReentrant {
        if (taskIds.length != commitments.length) revert TaskLengthMismatch();
        uint256 total;
        for (uint256 i; i < taskIds.length; ++i) {
            total += _commit(taskIds[i], commitments[i]);
        }
        if (total > 0) _token.safeTransferFrom(msg.sender, address(this), total);
    }

    // ---------------------------------------------------------------- reveal

    /// @notice Opens the caller's commitment with `(resultDigest, salt)`.
    /// Requirements:
    /// - the task is open; `commitDeadline` has passed or every committee member committed;
    /// - `block.timestamp < revealDeadline`;
    /// - the caller committed, has not revealed, and `commitmentOf(taskId, resultDigest, salt, caller)`
    ///   equals its commitment.
    function reveal(uint256 taskId, bytes32 resultDigest, bytes32 salt) external nonReentrant {
        _reveal(taskId, resultDigest, salt);
    }

    /// @notice `reveal` for several tasks.
    /// Requirements:
    /// - equal array lengths; as `reveal` for each triple.
    function revealMany(uint256[] calldata taskIds, bytes32[] calldata resultDigests, bytes32[] calldata salts)
        external
        nonReentrant
    {
        if (taskIds.length != resultDigests.length || taskIds.length != salts.length) revert TaskLengthMismatch();
        for (uint256 i; i < taskIds.length; ++i) {
            _reveal(taskIds[i], resultDigests[i], salts[i]);
        }
    }

    // -------------------------------------------------------------- finalize

    /// @notice Settles `taskId`: decides the stake-weighted strict majority with quorum, records
    /// payouts (claimed with `claim`), releases every committer's stake lock, slashes minority
    /// revealers and committers that never revealed, mints the winners' shares against the reward
    /// paid and pays the protocol fee to the share holders.
    /// Requirements:
    /// - the task is open; `revealDeadline` has passed, or reveals are open and every committer revealed.
    function finalize(uint256 taskId) external nonReentrant {
        _finalize(taskId);
    }

    /// @notice `finalize` for several tasks.
    /// Requirements:
    /// - as `finalize` for each id.
    function finalizeMany(uint256[] calldata taskIds) external nonReentrant {
        for (uint256 i; i < taskIds.length; ++i) {
            _finalize(taskIds[i]);
        }
    }

    // ----------------------------------------------------------------- claim

    /// @notice Pays the caller what `taskId` owes it: its payout (reward, returned bond, share of the
    /// pot) and, for the creator, the escrow refund.
    /// Requirements:
    /// - the task is settled; the caller has something left to claim.
    function claim(uint256 taskId) external nonReentrant {
        uint256 amount = _claim(taskId);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @notice `claim` for several tasks with one token transfer.
    /// Requirements:
    /// - as `claim` for each id.
    function claimMany(uint256[] calldata taskIds) external nonReentrant {
        uint256 total;
        for (uint256 i; i < taskIds.length; ++i) {
            total += _claim(taskIds[i]);
        }
        if (total > 0) _token.safeTransfer(msg.sender, total);
    }

    // ----------------------------------------------------------------- views

    /// @notice `reward(n) = baseReward * (10000 + growthBps * (n - 1)) / 10000` (floor); 0 when `n == 0`.
    function rewardFor(uint256 baseReward, uint32 growthBps, uint256 n) public pure returns (uint256) {
        if (n == 0) return 0;
        return baseReward * (BPS + uint256(growthBps) * (n - 1)) / BPS;
    }

    /// @notice The commitment of `participant` to `resultDigest` with `salt` in `taskId`.
    function commitmentOf(uint256 taskId, bytes32 resultDigest, bytes32 salt, address participant)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(taskId, resultDigest, salt, participant));
    }

    /// @notice The Shares token id of the winning artifact of `taskId`.
    function artifactIdOf(uint256 taskId) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(taskId)));
    }

    /// @notice The number of tasks created; ids run from 1 to `taskCount()`.
    function taskCount() external view returns (uint256) {
        return _taskCount;
    }

    /// @notice Everything stored about `taskId`.
    /// Requirements:
    /// - the task exists.
    function getTask(uint256 taskId) external view returns (Task memory) {
        return _existing(taskId);
    }

    /// @notice The committee of `taskId` in draw order (empty before the draw).
    function committeeOf(uint256 taskId) external view returns (address[] memory) {
        return _committees[taskId];
    }

    /// @notice Whether `account` is on the (drawn) committee of `taskId`.
    function isCommitteeMember(uint256 taskId, address account) external view returns (bool) {
        return _participants[taskId][account].status != ParticipantStatus.None;
    }

    /// @notice `account`'s state in `taskId`.
    function participantState(uint256 taskId, address account) external view returns (Participant memory) {
        return _participants[taskId][account];
    }

    /// @notice What `account` can still claim from `taskId` (payout plus, for the creator, the refund).
    function payoutOf(uint256 taskId, address account) external view returns (uint256 amount) {
        Task storage task = _tasks[taskId];
        Participant storage participant = _participants[taskId][account];
        if (!participant.claimed) amount = participant.payout;
        if (account == task.creator && !task.creatorClaimed) amount += task.creatorRefund;
    }

    /// @notice The escrow of a task: `E = maxParticipants * reward(maxParticipants)` plus the protocol
    /// fee on `E`, `floor(E * feeBps / 10000)`.
    function escrowOf(uint256 baseReward, uint32 growthBps, uint32 maxParticipants) public view returns (uint256) {
        uint256 maxPaid = uint256(maxParticipants) * rewardFor(baseReward, growthBps, maxParticipants);
        return maxPaid + maxPaid * _feeBps / BPS;
    }

    /// @notice The protocol bounds on task parameters and the fee.
    function limits() external view returns (Limits memory) {
        return Limits(_minCommitWindow, _minRevealWindow, _maxDuration, _maxBondMultiple, _maxSlashMultiple, _feeBps);
    }

    /// @notice The owner of `pool`: the address in its first 20 bytes (so nobody can take another's ids).
    function poolOwnerOf(bytes32 pool) public pure returns (address) {
        return address(bytes20(pool));
    }

    /// @notice Whether `account` may add tasks to the pools of `owner` (the owner itself always may).
    function isPoolCreator(address owner, address account) public view returns (bool) {
        return account == owner || _poolCreators[owner][account];
    }

    /// @notice The non-aggregate tasks of `pool`, in creation order.
    function poolTasks(bytes32 pool) external view returns (uint256[] memory) {
        return _poolTasks[pool];
    }

    /// @notice The winners of `pool`'s tasks that settled with a winner, in creation order (at most
    /// `MAX_POOL_TASKS`).
    function poolWinners(bytes32 pool) public view returns (bytes32[] memory winners) {
        uint256[] storage ids = _poolTasks[pool];
        winners = new bytes32[](ids.length);
        uint256 count;
        for (uint256 i; i < ids.length; ++i) {
            Task storage task = _tasks[ids[i]];
            if (task.status == TaskStatus.Finalized) winners[count++] = task.winner;
        }
        // Shrink the array in place to the number of winners.
        assembly ("memory-safe") {
            mstore(winners, count)
        }
    }

    /// @notice `keccak256(abi.encode(poolWinners(pool)))`: the `inputsRoot` an aggregate task of `pool` needs.
    function poolInputsRoot(bytes32 pool) external view returns (bytes32) {
        return keccak256(abi.encode(poolWinners(pool)));
    }

    /// @notice How many of `pool`'s tasks are not settled yet.
    function poolOpenCount(bytes32 pool) external view returns (uint256) {
        return _poolOpen[pool];
    }

    /// @notice The token, registry, shares and credits contracts this market uses.
    function contracts()
        external
        view
        returns (IERC20 token, NodeRegistry registry, Shares shares, AccessCredits credits)
    {
        return (_token, _registry, _shares, _credits);
    }

    // ------------------------------------------------------------- internals

    function _existing(uint256 taskId) private view returns (Task storage task) {
        task = _tasks[taskId];
        if (task.status == TaskStatus.None) revert TaskNotFound(taskId);
    }

    function _validate(TaskParams calldata p) private view {
        if (p.kind == bytes32(0)) revert TaskInvalidParams("kind is zero");
        if (p.quorum == 0) revert TaskInvalidParams("quorum is zero");
        if (p.committeeSize < p.quorum) revert TaskInvalidParams("committeeSize below quorum");
        if (p.maxParticipants < p.committeeSize) revert TaskInvalidParams("maxParticipants below committeeSize");
        if (p.committeeSize > MAX_COMMITTEE) revert TaskInvalidParams("committeeSize above MAX_COMMITTEE");
        if (p.commitDeadline < block.timestamp + _minCommitWindow) revert TaskInvalidParams("commit window too short");
        if (p.revealDeadline < uint256(p.commitDeadline) + _minRevealWindow) {
            revert TaskInvalidParams("reveal window too short");
        }
        if (p.revealDeadline > block.timestamp + _maxDuration) revert TaskInvalidParams("task lasts too long");
        if (p.bond > p.baseReward * _maxBondMultiple) revert TaskInvalidParams("bond above limit");
        if (p.stakeSlash > p.baseReward * _maxSlashMultiple) revert TaskInvalidParams("stakeSlash above limit");
        if (p.kind == AGGREGATE_KIND) {
            if (p.pool == bytes32(0)) revert TaskInvalidParams("aggregate task without pool");
        } else if (p.inputsRoot != bytes32(0)) {
            revert TaskInvalidParams("inputsRoot on a non-aggregate task");
        }
        if (p.pool != bytes32(0) && !isPoolCreator(poolOwnerOf(p.pool), msg.sender)) {
            revert TaskPoolNotAllowed(p.pool, msg.sender);
        }
    }

    function _create(TaskParams calldata p) private returns (uint256 taskId, uint256 escrow) {
        _validate(p);
        escrow = escrowOf(p.baseReward, p.growthBps, p.maxParticipants);
        taskId = ++_taskCount;
        Task storage task = _tasks[taskId];
        task.params = p;
        task.creator = msg.sender;
        task.createdBlock = uint64(block.number);
        task.status = TaskStatus.Open;
        task.escrow = escrow;
        if (p.pool != bytes32(0) && p.kind != AGGREGATE_KIND) {
            if (_poolTasks[p.pool].length >= MAX_POOL_TASKS) revert TaskPoolFull(p.pool);
            _poolTasks[p.pool].push(taskId);
            ++_poolOpen[p.pool];
        }
        emit TaskCreated(taskId, msg.sender, p.kind, p.pool, p.specDigest, escrow);
    }

    function _draw(uint256 taskId, Task storage task) private {
        uint256 created = task.createdBlock;
        if (block.number <= created) revert TaskCommitteeNotReady(taskId, created + 1);
        // The creation block's hash, or, when that is out of blockhash's window, the hash of the
        // latest block `created + 256 * k`: a late drawer can re-roll once per 256 blocks, not at will.
        uint256 seedBlock = created + ((block.number - 1 - created) / BLOCKHASH_WINDOW) * BLOCKHASH_WINDOW;
        bytes32 seed = keccak256(abi.encode(blockhash(seedBlock), taskId));
        // Stakes as they were at creation: nothing done after the seed became known changes the draw.
        (address[] memory members, uint256[] memory stakes) =
            _registry.drawCommittee(seed, created, task.params.committeeSize);
        if (members.length == 0) revert TaskNoActiveNodes(taskId);
        address[] storage committee = _committees[taskId];
        for (uint256 i; i < members.length; ++i) {
            Participant storage member = _participants[taskId][members[i]];
            member.status = ParticipantStatus.Member;
            member.stake = SafeCast.toUint128(stakes[i]);
            committee.push(members[i]);
        }
        task.committeeDrawn = true;
        task.committeeLength = uint32(members.length);
        emit CommitteeDrawn(taskId, seed, members);
    }

    function _commit(uint256 taskId, bytes32 commitment) private returns (uint256 bond) {
        Task storage task = _existing(taskId);
        if (task.status != TaskStatus.Open || block.timestamp >= task.params.commitDeadline) {
            revert TaskCommitClosed(taskId, task.params.commitDeadline);
        }
        if (!task.committeeDrawn) _draw(taskId, task);
        Participant storage participant = _participants[taskId][msg.sender];
        if (participant.status == ParticipantStatus.None) revert TaskNotCommitteeMember(taskId, msg.sender);
        if (participant.status != ParticipantStatus.Member) revert TaskAlreadyCommitted(taskId, msg.sender);
        participant.status = ParticipantStatus.Committed;
        participant.commitment = commitment;
        ++task.committed;
        uint256 stakeSlash = task.params.stakeSlash;
        if (stakeSlash > 0) _registry.lockStake(msg.sender, stakeSlash);
        emit Committed(taskId, msg.sender, commitment);
        return task.params.bond;
    }

    function _revealOpen(Task storage task) private view returns (bool) {
        return block.timestamp >= task.params.commitDeadline
            || (task.committeeDrawn && task.committed == task.committeeLength);
    }

    function _reveal(uint256 taskId, bytes32 resultDigest, bytes32 salt) private {
        Task storage task = _existing(taskId);
        if (task.status != TaskStatus.Open) revert TaskAlreadyFinalized(taskId);
        if (!_revealOpen(task)) revert TaskRevealNotOpen(taskId, task.params.commitDeadline);
        if (block.timestamp >= task.params.revealDeadline) revert TaskRevealClosed(taskId, task.params.revealDeadline);
        Participant storage participant = _participants[taskId][msg.sender];
        if (participant.status == ParticipantStatus.Revealed) revert TaskAlreadyRevealed(taskId, msg.sender);
        if (participant.status != ParticipantStatus.Committed) revert TaskNotCommitted(taskId, msg.sender);
        if (commitmentOf(taskId, resultDigest, salt, msg.sender) != participant.commitment) {
            revert TaskCommitmentMismatch(taskId, msg.sender);
        }
        participant.status = ParticipantStatus.Revealed;
        participant.resultDigest = resultDigest;
        ++task.revealed;
        emit Revealed(taskId, msg.sender, resultDigest);
    }

    function _finalize(uint256 taskId) private {
        Task storage task = _existing(taskId);
        if (task.status != TaskStatus.Open) revert TaskAlreadyFinalized(taskId);
        bool everyoneRevealed = _revealOpen(task) && task.revealed == task.committed;
        if (block.timestamp < task.params.revealDeadline && !everyoneRevealed) {
            revert TaskFinalizeTooEarly(taskId, task.params.revealDeadline);
        }
        address[] storage committee = _committees[taskId];
        (bytes32 winner, bool decided) = _majority(taskId, committee);
        if (decided && task.revealed >= task.params.quorum) _settleWinner(taskId, task, committee, winner);
        else _settleFailure(taskId, task, committee);
        bytes32 pool = task.params.pool;
        if (pool != bytes32(0) && task.params.kind != AGGREGATE_KIND) --_poolOpen[pool];
    }

    /// @dev Weighted Boyer-Moore vote over the revealers, then a check that the candidate holds
    /// strictly more than half of the revealed stake.
    function _majority(uint256 taskId, address[] storage committee)
        private
        view
        returns (bytes32 candidate, bool decided)
    {
        uint256 lead;
        uint256 total;
        mapping(address => Participant) storage participants = _participants[taskId];
        for (uint256 i; i < committee.length; ++i) {
            Participant storage p = participants[committee[i]];
            if (p.status != ParticipantStatus.Revealed) continue;
            total += p.stake;
            if (lead == 0) {
                candidate = p.resultDigest;
                lead = p.stake;
            } else if (p.resultDigest == candidate) {
                lead += p.stake;
            } else if (lead >= p.stake) {
                lead -= p.stake;
            } else {
                candidate = p.resultDigest;
                lead = p.stake - lead;
            }
        }
        uint256 support;
        for (uint256 i; i < committee.length; ++i) {
            Participant storage p = participants[committee[i]];
            if (p.status == ParticipantStatus.Revealed && p.resultDigest == candidate) support += p.stake;
        }
        decided = support * 2 > total;
    }

    function _settleWinner(uint256 taskId, Task storage task, address[] storage committee, bytes32 winner) private {
        mapping(address => Participant) storage participants = _participants[taskId];
        uint256 pot;
        uint256 winners;
        for (uint256 i; i < committee.length; ++i) {
            address account = committee[i];
            Participant storage p = participants[account];
            if (p.status == ParticipantStatus.Member) continue;
            bool won = p.status == ParticipantStatus.Revealed && p.resultDigest == winner;
            if (won) ++winners;
            pot += _release(taskId, task, account, p, !won);
        }
        uint256 reward = rewardFor(task.params.baseReward, task.params.growthBps, task.revealed);
        uint256 payout = reward + task.params.bond + pot / winners;
        uint256 paid = winners * reward;
        // The fee goes to the units that exist before this task mints; with none yet it stays with the creator.
        uint256 fee = _shares.totalUnits() == 0 ? 0 : paid * _feeBps / BPS;
        uint256 units = reward * SHARE_UNITS_PER_TOKEN / TOKEN;
        uint256 artifactId = artifactIdOf(taskId);
        task.status = TaskStatus.Finalized;
        task.winner = winner;
        task.winners = uint32(winners);
        task.reward = reward;
        task.pot = pot;
        task.creatorRefund = task.escrow - paid - fee + pot % winners;
        emit TaskFinalized(taskId, winner, task.revealed, winners, reward, pot);
        if (fee > 0) {
            emit ProtocolFeePaid(taskId, fee);
            _credits.payDividends(fee);
        }
        for (uint256 i; i < committee.length; ++i) {
            address account = committee[i];
            Participant storage p = participants[account];
            if (p.status != ParticipantStatus.Revealed || p.resultDigest != winner) continue;
            p.payout = payout;
            if (units > 0) _shares.mint(account, artifactId, units);
        }
    }

    function _settleFailure(uint256 taskId, Task storage task, address[] storage committee) private {
        mapping(address => Participant) storage participants = _participants[taskId];
        uint256 forfeits;
        for (uint256 i; i < committee.length; ++i) {
            address account = committee[i];
            Participant storage p = participants[account];
            if (p.status == ParticipantStatus.Member) continue;
            forfeits += _release(taskId, task, account, p, p.status != ParticipantStatus.Revealed);
        }
        uint256 revealers = task.revealed;
        task.status = TaskStatus.Failed;
        task.pot = forfeits;
        if (revealers == 0) {
            task.creatorRefund = task.escrow + forfeits;
        } else {
            // Revealers get their bonds back and share what the committers that never revealed forfeit.
            uint256 payout = task.params.bond + forfeits / revealers;
            for (uint256 i; i < committee.length; ++i) {
                Participant storage p = participants[committee[i]];
                if (p.status == ParticipantStatus.Revealed) p.payout = payout;
            }
            task.creatorRefund = task.escrow + forfeits % revealers;
        }
        emit TaskFailed(taskId, revealers, forfeits);
    }

    /// @dev Releases `account`'s stake lock in the task; when `penalize`, slashes `stakeSlash` of its
    /// stake into this contract. Returns what it forfeits: its bond and the slashed stake (0 if not penalized).
    function _release(uint256 taskId, Task storage task, address account, Participant storage p, bool penalize)
        private
        returns (uint256 forfeit)
    {
        uint256 stakeSlash = task.params.stakeSlash;
        if (stakeSlash > 0) _registry.unlockStake(account, stakeSlash);
        if (!penalize) return 0;
        uint256 slashed = stakeSlash == 0 ? 0 : _registry.slash(account, stakeSlash, address(this));
        p.slashed = slashed;
        emit ParticipantPenalized(taskId, account, task.params.bond, slashed);
        return task.params.bond + slashed;
    }

    function _claim(uint256 taskId) private returns (uint256 amount) {
        Task storage task = _existing(taskId);
        if (task.status == TaskStatus.Open) revert TaskNotFinalized(taskId);
        Participant storage participant = _participants[taskId][msg.sender];
        if (!participant.claimed && participant.payout > 0) {
            participant.claimed = true;
            amount = participant.payout;
        }
        if (msg.sender == task.creator && !task.creatorClaimed && task.creatorRefund > 0) {
            task.creatorClaimed = true;
            amount += task.creatorRefund;
        }
        if (amount == 0) revert TaskNothingToClaim(taskId, msg.sender);
        emit Claimed(taskId, msg.sender, amount);
    }
}
