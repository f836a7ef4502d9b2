// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

/// @title Shares
/// @notice ERC-1155 ownership shares of Concord artifacts: one token id per artifact (a task's
/// winning result is id `uint256(keccak256(abi.encode(taskId)))`, see TaskMarket.artifactIdOf).
/// Every unit of every id counts the same: the contract tracks each account's total units
/// across all ids, and the total supply of units, as block-number checkpoints (so AccessCredits
/// can use the balances of a past block), and pays token dividends pro rata to units.
/// Checkpoints are keyed by block number rather than timestamp so that a transaction's gas does
/// not depend on whether the clock ticked between gas estimation and inclusion.
/// @dev Protocol mints skip the ERC-1155 receiver hook, so a winner's contract can neither block
/// a task's finalization nor re-enter it; ordinary transfers keep the hook.
/// The owner (the deployer) authorizes minters; renounce it or use a multisig in production.
contract Shares is ERC1155, Ownable, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using Checkpoints for Checkpoints.Trace208;

    /// @dev Scale of the dividend accumulator, so small payments over many units keep precision.
    uint256 private constant MAGNITUDE = 2 ** 128;

    IERC20 private immutable _token;
    mapping(address account => bool) private _minters;
    mapping(address account => Checkpoints.Trace208) private _unitCheckpoints;
    Checkpoints.Trace208 private _totalCheckpoints;

    uint256 private _magnifiedPerUnit;
    uint256 private _magnifiedRemainder;
    mapping(address account => int256) private _magnifiedCorrections;
    mapping(address account => uint256) private _withdrawn;

    /// @notice The owner allowed (or disallowed) `minter` to mint.
    event MinterSet(address indexed minter, bool allowed);
    /// @notice `from` paid `amount` tokens to be shared by all unit holders.
    event DividendsDistributed(address indexed from, uint256 amount);
    /// @notice `account` withdrew `amount` tokens of dividends.
    event DividendsWithdrawn(address indexed account, uint256 amount);

    /// @notice The caller is not an authorized minter.
    error SharesNotMinter(address caller);
    /// @notice A zero amount was given where a positive one is needed.
    error SharesZeroAmount();
    /// @notice Dividends cannot be distributed while no units exist.
    error SharesNoHolders();
    /// @notice Historical lookups need a block before the current one.
    error SharesFutureLookup(uint256 blockNumber, uint256 currentBlock);
    /// @notice The account has no dividends to withdraw.
    error SharesNothingToWithdraw(address account);

    /// @param token_ The token dividends are paid in.
    /// @param uri_ The ERC-1155 metadata URI template (`{id}` is replaced by clients).
    constructor(IERC20 token_, string memory uri_) ERC1155(uri_) Ownable(msg.sender) {
        _token = token_;
    }

    /// @notice Mints `amount` units of artifact `id` to `to`.
    /// Requirements:
    /// - the caller is an authorized minter; `amount > 0`.
    function mint(address to, uint256 id, uint256 amount) external {
        if (!_minters[msg.sender]) revert SharesNotMinter(msg.sender);
        if (amount == 0) revert SharesZeroAmount();
        uint256[] memory ids = new uint256[](1);
        uint256[] memory values = new uint256[](1);
        ids[0] = id;
        values[0] = amount;
        _update(address(0), to, ids, values);
    }

    /// @notice Allows or disallows `minter` to mint.
    /// Requirements:
    /// - the caller is the owner.
    function setMinter(address minter, bool allowed) external onlyOwner {
        _minters[minter] = allowed;
        emit MinterSet(minter, allowed);
    }

    /// @notice Pulls `amount` tokens from the caller and shares them among all current unit
    /// holders pro rata; each withdraws its part with `withdrawDividends`.
    /// Requirements:
    /// - `amount > 0`; at least one unit exists; the caller approved this contract for `amount`.
    function distributeDividends(uint256 amount) external nonReentrant {
        if (amount == 0) revert SharesZeroAmount();
        uint256 total = _totalCheckpoints.latest();
        if (total == 0) revert SharesNoHolders();
        uint256 magnified = amount * MAGNITUDE + _magnifiedRemainder;
        _magnifiedPerUnit += magnified / total;
        _magnifiedRemainder = magnified % total;
        emit DividendsDistributed(msg.sender, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Withdraws all of the caller's dividends.
    /// Requirements:
    /// - the caller has dividends to withdraw.
    function withdrawDividends() external nonReentrant {
        uint256 amount = dividendsOf(msg.sender);
        if (amount == 0) revert SharesNothingToWithdraw(msg.sender);
        _withdrawn[msg.sender] += amount;
        emit DividendsWithdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @notice Dividends `account` can withdraw now.
    function dividendsOf(address account) public view returns (uint256) {
        int256 accumulated = SafeCast.toInt256(_magnifiedPerUnit * unitsOf(account)) + _magnifiedCorrections[account];
        return SafeCast.toUint256(accumulated) / MAGNITUDE - _withdrawn[account];
    }

    /// @notice Dividends `account` has withdrawn so far.
    function withdrawnDividendsOf(address account) external view returns (uint256) {
        return _withdrawn[account];
    }

    /// @notice The units `account` holds across all artifact ids.
    function unitsOf(address account) public view returns (uint256) {
        return _unitCheckpoints[account].latest();
    }

    /// @notice The units of all artifact ids in existence.
    function totalUnits() external view returns (uint256) {
        return _totalCheckpoints.latest();
    }

    /// @notice The units `account` held at the end of block `blockNumber`.
    /// Requirements:
    /// - `blockNumber < block.number` (the value must be final).
    function unitsAt(address account, uint256 blockNumber) external view returns (uint256) {
        return _unitCheckpoints[account].upperLookupRecent(_past(blockNumber));
    }

    /// @notice The total units at the end of block `blockNumber`.
    /// Requirements:
    /// - `blockNumber < block.number` (the value must be final).
    function totalUnitsAt(uint256 blockNumber) external view returns (uint256) {
        return _totalCheckpoints.upperLookupRecent(_past(blockNumber));
    }

    /// @notice Whether `account` may mint.
    function isMinter(address account) external view returns (bool) {
        return _minters[account];
    }

    /// @notice The token dividends are paid in.
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @dev Keeps unit totals, their checkpoints and the dividend corrections in step with balances.
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values)
        internal
        override
    {
        super._update(from, to, ids, values);
        uint256 moved;
        for (uint256 i; i < values.length; ++i) {
            moved += values[i];
        }
        if (moved == 0) return;
        int256 correction = SafeCast.toInt256(_magnifiedPerUnit * moved);
        uint48 now_ = SafeCast.toUint48(block.number);
        if (from == address(0)) {
            _totalCheckpoints.push(now_, SafeCast.toUint208(_totalCheckpoints.latest() + moved));
        } else {
            _unitCheckpoints[from].push(now_, SafeCast.toUint208(_unitCheckpoints[from].latest() - moved));
            _magnifiedCorrections[from] += correction;
        }
        if (to == address(0)) {
            _totalCheckpoints.push(now_, SafeCast.toUint208(_totalCheckpoints.latest() - moved));
        } else {
            _unitCheckpoints[to].push(now_, SafeCast.toUint208(_unitCheckpoints[to].latest() + moved));
            _magnifiedCorrections[to] -= correction;
        }
    }

    function _past(uint256 blockNumber) private view returns (uint48) {
        if (blockNumber >= block.number) revert SharesFutureLookup(blockNumber, block.number);
        return SafeCast.toUint48(blockNumber);
    }
}
