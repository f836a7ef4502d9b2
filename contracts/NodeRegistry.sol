// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

/// @title NodeRegistry
/// @notice Binds each node's EVM account to its libp2p peer id and holds its stake.
/// Voting (committee) weight is the active stake; stake waiting for withdrawal after
/// `requestUnstake` no longer votes but can still be slashed until it is withdrawn.
/// Active nodes (active stake >= `minStake()`) hold a slot in a sum tree of their stakes whose
/// nodes are checkpointed per block, so `drawCommittee` draws from the stakes as they were when
/// a task was created, before anyone could know the draw's seed, in O(size * log(active)) reads.
/// Peer ids are not unique on chain: the registry cannot check a libp2p signature, so nodes
/// verify `peerSig` before trusting a binding, and nobody can lock a peer id away from its owner.
/// @dev The owner (the deployer) authorizes the protocol contracts allowed to slash, then
/// renounces ownership (`deployConcord` does both).
contract NodeRegistry is Ownable, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using Checkpoints for Checkpoints.Trace208;

    /// @notice Everything the registry stores about one node.
    struct Node {
        bytes peerId;
        bytes peerSig;
        uint256 stake;
        uint256 pending;
        uint64 unlockAt;
        bool registered;
    }

    IERC20 private immutable _token;
    uint256 private immutable _minStake;
    uint64 private immutable _unstakeDelay;

    mapping(address account => Node) private _nodes;
    mapping(address account => Checkpoints.Trace208) private _stakeHistory;
    mapping(address account => bool) private _slashers;
    address[] private _accounts;
    mapping(address account => uint256) private _locked;
    mapping(address account => uint64) private _modelMemory;

    // Sum tree (Fenwick) of the active nodes' stakes over slots 1.._capacity: tree node i holds
    // the total weight of slots (i - lowbit(i), i]. Every tree node, the capacity and each slot's
    // holder are checkpointed per block; a slot freed by a node that left is reused by the next.
    mapping(uint256 index => Checkpoints.Trace208) private _tree;
    mapping(uint256 slot => Checkpoints.Trace208) private _slotHolder;
    Checkpoints.Trace208 private _capacity;
    mapping(address account => uint256 slot) private _slotOf;
    uint256 private _slotCount;
    uint256[] private _freeSlots;

    /// @notice A node registered `account` with `peerId`, proven by `peerSig`, staking `amount`.
    event NodeRegistered(address indexed account, bytes peerId, bytes peerSig, uint256 amount);
    /// @notice `account` added `amount`; its active stake is now `stake`.
    event Staked(address indexed account, uint256 amount, uint256 stake);
    /// @notice `account` moved `amount` from active to pending stake, withdrawable at `unlockAt`.
    event UnstakeRequested(address indexed account, uint256 amount, uint256 pending, uint64 unlockAt);
    /// @notice `account` withdrew `amount` of pending stake.
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice `slasher` took `amount` of `account`'s stake and sent it to `recipient`.
    event Slashed(address indexed account, address indexed slasher, address recipient, uint256 amount);
    /// @notice The owner allowed (or disallowed) `slasher` to slash.
    event SlasherSet(address indexed slasher, bool allowed);
    /// @notice `locker` locked `amount` of `account`'s stake; `locked` is locked in all now.
    event StakeLocked(address indexed account, address indexed locker, uint256 amount, uint256 locked);
    /// @notice `locker` released `amount` of `account`'s locked stake; `locked` stays locked.
    event StakeUnlocked(address indexed account, address indexed locker, uint256 amount, uint256 locked);

    /// @notice `account` accepts to host at most `maxBytes` of model weights (0 = unlimited).
    event ModelMemorySet(address indexed account, uint64 maxBytes);

    /// @notice The amount is below the minimum stake.
    error NodeBelowMinStake(uint256 amount, uint256 minStake);
    /// @notice The account is already registered.
    error NodeAlreadyRegistered(address account);
    /// @notice The peer id is empty.
    error NodeEmptyPeerId();
    /// @notice The account is not a registered node.
    error NodeUnknown(address account);
    /// @notice A zero amount was given where a positive one is needed.
    error NodeZeroAmount();
    /// @notice More stake was requested than the node has active.
    error NodeInsufficientStake(uint256 requested, uint256 available);
    /// @notice The unstake delay has not passed yet.
    error NodeUnstakeTooEarly(uint64 unlockAt);
    /// @notice The node has no pending stake to withdraw.
    error NodeNothingToWithdraw(address account);
    /// @notice The caller is not an authorized slasher.
    error NodeNotSlasher(address caller);
    /// @notice Historical lookups need a block before the current one.
    error NodeFutureLookup(uint256 blockNumber, uint256 currentBlock);
    /// @notice `account` has only `unlocked` slashable stake that is not locked, less than `requested`.
    error NodeStakeLocked(address account, uint256 requested, uint256 unlocked);
    /// @notice More stake was to be unlocked than `account` has locked.
    error NodeUnlockExceedsLocked(address account, uint256 requested, uint256 locked);

    /// @param token_ The staking token.
    /// @param minStake_ The least active stake that makes a node active.
    /// @param unstakeDelay_ Seconds between `requestUnstake` and the earliest `withdraw`.
    constructor(IERC20 token_, uint256 minStake_, uint64 unstakeDelay_) Ownable(msg.sender) {
        _token = token_;
        _minStake = minStake_;
        _unstakeDelay = unstakeDelay_;
    }

    /// @notice Registers the caller as a node bound to `peerId`, staking `amount`.
    /// @dev The transaction itself is the account's half of the binding; `peerSig` (the libp2p
    /// key's signature over `(chainId, registry, account)`) is stored and emitted for peers to
    /// verify. The registry cannot check it, so it does not reserve `peerId` either: several
    /// accounts may name the same peer id, and only the one whose `peerSig` verifies is trusted.
    /// Requirements:
    /// - the caller is not registered yet and `peerId` is non-empty;
    /// - `amount >= minStake()` and the caller approved the registry for `amount` tokens.
    function register(bytes calldata peerId, bytes calldata peerSig, uint256 amount) external nonReentrant {
        if (peerId.length == 0) revert NodeEmptyPeerId();
        Node storage node = _nodes[msg.sender];
        if (node.registered) revert NodeAlreadyRegistered(msg.sender);
        if (amount < _minStake) revert NodeBelowMinStake(amount, _minStake);
        node.registered = true;
        node.peerId = peerId;
        node.peerSig = peerSig;
        _setActiveStake(msg.sender, amount);
        _accounts.push(msg.sender);
        emit NodeRegistered(msg.sender, peerId, peerSig, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Adds `amount` to the caller's active stake.
    /// Requirements:
    /// - the caller is registered, `amount > 0`, and the registry is approved for `amount`.
    function stake(uint256 amount) external nonReentrant {
        Node storage node = _registered(msg.sender);
        if (amount == 0) revert NodeZeroAmount();
        _setActiveStake(msg.sender, node.stake + amount);
        emit Staked(msg.sender, amount, node.stake);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Moves `amount` of active stake to pending withdrawal; it stops voting at once,
    /// stays slashable, and is withdrawable after `unstakeDelay()` seconds. A new request
    /// restarts the delay for everything pending.
    /// Requirements:
    /// - the caller is registered, `0 < amount <= stakeOf(caller)`.
    function requestUnstake(uint256 amount) external {
        Node storage node = _registered(msg.sender);
        if (amount == 0) revert NodeZeroAmount();
        if (amount > node.stake) revert NodeInsufficientStake(amount, node.stake);
        // unchecked: amount <= node.stake was checked just above.
        unchecked {
            _setActiveStake(msg.sender, node.stake - amount);
        }
        node.pending += amount;
        node.unlockAt = uint64(block.timestamp) + _unstakeDelay;
        emit UnstakeRequested(msg.sender, amount, node.pending, node.unlockAt);
    }

    /// @notice Withdraws the caller's pending stake, except what must stay to cover its locked stake
    /// (`lockedOf`): that part stays pending until the locks are released.
    /// Requirements:
    /// - the caller has pending stake not needed by its locks, and its unlock time has come.
    function withdraw() external nonReentrant {
        Node storage node = _nodes[msg.sender];
        uint256 amount = withdrawableOf(msg.sender);
        if (amount == 0) revert NodeNothingToWithdraw(msg.sender);
        if (block.timestamp < node.unlockAt) revert NodeUnstakeTooEarly(node.unlockAt);
        node.pending -= amount;
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @notice Takes up to `amount` of `account`'s stake (active first, then pending) and sends
    /// it to `recipient`. Returns what was actually taken: `min(amount, slashableOf(account))`.
    /// Requirements:
    /// - the caller is an authorized slasher; `account` is registered.
    function slash(address account, uint256 amount, address recipient)
        external
        nonReentrant
        returns (uint256 slashed)
    {
        if (!_slashers[msg.sender]) revert NodeNotSlasher(msg.sender);
        Node storage node = _registered(account);
        uint256 fromActive = amount < node.stake ? amount : node.stake;
        uint256 rest = amount - fromActive;
        uint256 fromPending = rest < node.pending ? rest : node.pending;
        // unchecked: both parts were capped at the balances they are taken from.
        unchecked {
            if (fromActive > 0) _setActiveStake(account, node.stake - fromActive);
            node.pending -= fromPending;
            slashed = fromActive + fromPending;
        }
        emit Slashed(account, msg.sender, recipient, slashed);
        if (slashed > 0) _token.safeTransfer(recipient, slashed);
    }

    /// @notice Announces the most model-weight bytes the caller accepts to host (0 = unlimited), so
    /// that every node plans the caller's shards within it.
    /// Requirements:
    /// - the caller is registered.
    function setModelMemory(uint64 maxBytes) external {
        _registered(msg.sender);
        _modelMemory[msg.sender] = maxBytes;
        emit ModelMemorySet(msg.sender, maxBytes);
    }

    /// @notice The model-weight bytes `account` accepts to host (0 = unlimited or never set).
    function modelMemoryOf(address account) external view returns (uint64) {
        return _modelMemory[account];
    }

    /// @notice Allows or disallows `slasher` to call `slash`.
    /// Requirements:
    /// - the caller is the owner.
    function setSlasher(address slasher, bool allowed) external onlyOwner {
        _slashers[slasher] = allowed;
        emit SlasherSet(slasher, allowed);
    }

    /// @notice Whether `account` may slash.
    function isSlasher(address account) external view returns (bool) {
        return _slashers[account];
    }

    /// @notice The staking token.
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @notice The least active stake that makes a node active.
    function minStake() external view returns (uint256) {
        return _minStake;
    }

    /// @notice Seconds between `requestUnstake` and the earliest `withdraw`.
    function unstakeDelay() external view returns (uint64) {
        return _unstakeDelay;
    }

    /// @notice The active (voting) stake of `account`.
    function stakeOf(address account) external view returns (uint256) {
        return _nodes[account].stake;
    }

    /// @notice The active stake of `account` at the end of block `blockNumber`.
    /// Requirements:
    /// - `blockNumber < block.number` (the value must be final).
    function stakeAt(address account, uint256 blockNumber) public view returns (uint256) {
        if (blockNumber >= block.number) revert NodeFutureLookup(blockNumber, block.number);
        return _lookup(_stakeHistory[account], SafeCast.toUint48(blockNumber));
    }

    /// @notice Active plus pending stake of `account`: the most a slash can take.
    function slashableOf(address account) external view returns (uint256) {
        return _nodes[account].stake + _nodes[account].pending;
    }

    /// @notice Whether `account` is registered with at least `minStake()` active stake.
    function isActive(address account) public view returns (bool) {
        Node storage node = _nodes[account];
        return node.registered && node.stake >= _minStake;
    }

    /// @notice Everything stored about `account` (all zero if unknown).
    function getNode(address account) external view returns (Node memory) {
        return _nodes[account];
    }

    /// @notice The libp2p peer id bound to `account` (empty if unknown).
    function peerIdOf(address account) external view returns (bytes memory) {
        return _nodes[account].peerId;
    }

    /// @notice Every account ever registered, in registration order.
    function nodes() external view returns (address[] memory) {
        return _accounts;
    }

    /// @notice How many accounts ever registered.
    function nodeCount() external view returns (uint256) {
        return _accounts.length;
    }

    /// @notice The `index`-th registered account (registration order).
    /// Requirements:
    /// - `index < nodeCount()` (else a Panic(0x32) revert).
    function nodeAt(uint256 index) external view returns (address) {
        return _accounts[index];
    }

    /// @notice The active nodes, in registration order, with their active stakes and their
    /// model memory caps (`modelMemoryOf`, 0 = unlimited).
    /// @dev An off-chain view: it walks every account ever registered, so contracts must not call
    /// it (they draw with `drawCommittee`).
    function activeNodes()
        external
        view
        returns (address[] memory accounts, uint256[] memory stakes, uint64[] memory memories)
    {
        uint256 total = _accounts.length;
        accounts = new address[](total);
        stakes = new uint256[](total);
        memories = new uint64[](total);
        uint256 count;
        for (uint256 i; i < total; ++i) {
            address account = _accounts[i];
            if (isActive(account)) {
                accounts[count] = account;
                stakes[count] = _nodes[account].stake;
                memories[count] = _modelMemory[account];
                ++count;
            }
        }
        // Shrink the arrays in place to the number of active nodes.
        assembly ("memory-safe") {
            mstore(accounts, count)
            mstore(stakes, count)
            mstore(memories, count)
        }
    }

    /// @notice Draws `size` distinct nodes among those active at the end of block `atBlock`
    /// (fewer if fewer were active), weighted by their active stake then, without replacement:
    /// the `k`-th draw takes the ticket `uint256(keccak256(abi.encode(seed, k)))` modulo the stake
    /// not drawn yet, and picks the node whose range of the slots' cumulative stakes (drawn nodes
    /// skipped) holds it. Returns the members in draw order and their stakes at `atBlock`.
    /// Costs O(size * log(active nodes)) storage reads, however many accounts ever registered.
    /// Requirements:
    /// - `atBlock < block.number` (the stakes must be final).
    function drawCommittee(bytes32 seed, uint256 atBlock, uint256 size)
        external
        view
        returns (address[] memory members, uint256[] memory stakes)
    {
        if (atBlock >= block.number) revert NodeFutureLookup(atBlock, block.number);
        uint48 key = SafeCast.toUint48(atBlock);
        uint256 capacity = _lookup(_capacity, key);
        uint256 remaining = capacity == 0 ? 0 : _lookup(_tree[capacity], key);
        members = new address[](size);
        stakes = new uint256[](size);
        uint256[] memory slots = new uint256[](size);
        uint256 count;
        for (; count < size && remaining > 0; ++count) {
            uint256 ticket = uint256(keccak256(abi.encode(seed, count))) % remaining;
            // Descend from the root: skip every tree node whose undrawn weight is <= the ticket.
            uint256 before;
            for (uint256 step = capacity >> 1; step > 0; step >>= 1) {
                uint256 next = before + step;
                uint256 weight = _lookup(_tree[next], key) - _drawnWithin(slots, stakes, count, before, next);
                if (weight <= ticket) {
                    // unchecked: weight <= ticket was checked just above.
                    unchecked {
                        ticket -= weight;
                    }
                    before = next;
                }
            }
            uint256 slot = before + 1;
            address member = address(uint160(_lookup(_slotHolder[slot], key)));
            uint256 memberStake = _lookup(_stakeHistory[member], key);
            members[count] = member;
            stakes[count] = memberStake;
            slots[count] = slot;
            remaining -= memberStake;
        }
        // Shrink the arrays in place to the number of members drawn.
        assembly ("memory-safe") {
            mstore(members, count)
            mstore(stakes, count)
        }
    }

    // ----------------------------------------------------------- stake locks
    // Stake that weighs in open work (a committed task) is locked by the protocol contract that
    // may slash it, until that work settles: `withdraw` leaves it in place, `slash` can take it.

    /// @notice Locks `amount` of `account`'s slashable stake until `unlockStake`; `withdraw` keeps
    /// locked stake in the registry.
    /// Requirements:
    /// - the caller is an authorized slasher;
    /// - `unlockedOf(account) >= amount`.
    function lockStake(address account, uint256 amount) external {
        if (!_slashers[msg.sender]) revert NodeNotSlasher(msg.sender);
        uint256 unlocked = unlockedOf(account);
        if (unlocked < amount) revert NodeStakeLocked(account, amount, unlocked);
        _locked[account] += amount;
        emit StakeLocked(account, msg.sender, amount, _locked[account]);
    }

    /// @notice Releases `amount` of `account`'s locked stake.
    /// Requirements:
    /// - the caller is an authorized slasher;
    /// - `amount <= lockedOf(account)`.
    function unlockStake(address account, uint256 amount) external {
        if (!_slashers[msg.sender]) revert NodeNotSlasher(msg.sender);
        uint256 locked = _locked[account];
        if (amount > locked) revert NodeUnlockExceedsLocked(account, amount, locked);
        // unchecked: amount <= locked was checked just above.
        unchecked {
            _locked[account] = locked - amount;
        }
        emit StakeUnlocked(account, msg.sender, amount, locked - amount);
    }

    /// @notice The stake of `account` locked by open work.
    function lockedOf(address account) external view returns (uint256) {
        return _locked[account];
    }

    /// @notice Slashable stake of `account` not locked by open work (0 if a slash left less than the locks).
    function unlockedOf(address account) public view returns (uint256) {
        uint256 slashable = _nodes[account].stake + _nodes[account].pending;
        uint256 locked = _locked[account];
        return slashable > locked ? slashable - locked : 0;
    }

    /// @notice The pending stake `account` may withdraw once its unlock time has come: all of it
    /// except what its locks still need beyond its active stake.
    function withdrawableOf(address account) public view returns (uint256) {
        uint256 pending = _nodes[account].pending;
        uint256 unlocked = unlockedOf(account);
        return pending < unlocked ? pending : unlocked;
    }

    // ---------------------------------------------------------------- internals

    /// @dev The stake of the first `count` drawn members whose slot lies in `(from, to]`.
    function _drawnWithin(
        uint256[] memory slots,
        uint256[] memory stakes,
        uint256 count,
        uint256 from,
        uint256 to
    ) private pure returns (uint256 total) {
        for (uint256 i; i < count; ++i) {
            if (slots[i] > from && slots[i] <= to) total += stakes[i];
        }
    }

    /// @dev The single place active stake changes: checkpoints it and moves the account's weight
    /// in the sum tree (its stake if >= minStake, else 0), taking a slot when it becomes active
    /// and freeing it when it stops being active.
    function _setActiveStake(address account, uint256 newStake) private {
        Node storage node = _nodes[account];
        uint256 oldWeight = _weightOf(node.stake);
        uint256 newWeight = _weightOf(newStake);
        node.stake = newStake;
        _stakeHistory[account].push(SafeCast.toUint48(block.number), SafeCast.toUint208(newStake));
        if (oldWeight == newWeight) return;
        uint256 slot = oldWeight == 0 ? _takeSlot(account) : _slotOf[account];
        uint256 capacity = _capacity.latest();
        // Walk up the tree nodes covering the slot (i += lowbit(i)).
        for (uint256 i = slot; i <= capacity; i += i & (~i + 1)) {
            Checkpoints.Trace208 storage treeNode = _tree[i];
            // The node's total includes oldWeight, so it stays >= 0.
            _push(treeNode, treeNode.latest() + newWeight - oldWeight);
        }
        if (newWeight == 0) {
            _slotOf[account] = 0;
            _freeSlots.push(slot);
        }
    }

    /// @dev Gives `account` a free slot, or a new one (doubling the capacity when needed).
    function _takeSlot(address account) private returns (uint256 slot) {
        uint256 free = _freeSlots.length;
        if (free > 0) {
            slot = _freeSlots[free - 1];
            _freeSlots.pop();
        } else {
            slot = ++_slotCount;
            uint256 capacity = _capacity.latest();
            if (slot > capacity) {
                uint256 grown = capacity == 0 ? 1 : capacity * 2;
                // The new root covers every slot; those above the old capacity weigh nothing yet.
                if (capacity > 0) _push(_tree[grown], _tree[capacity].latest());
                _push(_capacity, grown);
            }
        }
        _slotOf[account] = slot;
        _push(_slotHolder[slot], uint160(account));
    }

    /// @dev The weight of an active stake in the draw: the stake if it makes the node active, else 0.
    function _weightOf(uint256 activeStake) private view returns (uint256) {
        return activeStake >= _minStake ? activeStake : 0;
    }

    function _push(Checkpoints.Trace208 storage trace, uint256 value) private {
        trace.push(SafeCast.toUint48(block.number), SafeCast.toUint208(value));
    }

    /// @dev The value of `trace` at the end of block `key`; the latest checkpoint is read first, so
    /// a lookup of a block after the last change costs two storage reads.
    function _lookup(Checkpoints.Trace208 storage trace, uint48 key) private view returns (uint256) {
        (bool exists, uint48 lastKey, uint208 lastValue) = trace.latestCheckpoint();
        if (!exists) return 0;
        if (lastKey <= key) return lastValue;
        return trace.upperLookupRecent(key);
    }

    function _registered(address account) private view returns (Node storage node) {
        node = _nodes[account];
        if (!node.registered) revert NodeUnknown(account);
    }
}
