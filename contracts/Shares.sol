// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

/// @title Shares
/// @notice ERC-1155 ownership shares of Concord artifacts: one token id per artifact (a task's
/// winning result is id `uint256(keccak256(abi.encode(taskId)))`, see TaskMarket.artifactIdOf).
/// Every unit of every id counts the same: the contract tracks each account's total units
/// across all ids, and the total supply of units, as block-number checkpoints (so AccessCredits
/// can use the balances of a past block: its epoch credits and dividends are paid to the units
/// of an epoch's snapshot block, so units moved in later take no part of them).
/// Checkpoints are keyed by block number rather than timestamp so that a transaction's gas does
/// not depend on whether the clock ticked between gas estimation and inclusion.
/// @dev Protocol mints skip the ERC-1155 receiver hook, so a winner's contract can neither block
/// a task's finalization nor re-enter it; ordinary transfers keep the hook.
/// The owner (the deployer) authorizes minters; renounce it or use a multisig in production.
contract Shares is ERC1155, Ownable {
    using Checkpoints for Checkpoints.Trace208;

    mapping(address account => bool) private _minters;
    mapping(address account => Checkpoints.Trace208) private _unitCheckpoints;
    Checkpoints.Trace208 private _totalCheckpoints;

    /// @notice The owner allowed (or disallowed) `minter` to mint.
    event MinterSet(address indexed minter, bool allowed);

    /// @notice The caller is not an authorized minter.
    error SharesNotMinter(address caller);
    /// @notice A zero amount was given where a positive one is needed.
    error SharesZeroAmount();
    /// @notice Historical lookups need a block before the current one.
    error SharesFutureLookup(uint256 blockNumber, uint256 currentBlock);

    /// @param uri_ The ERC-1155 metadata URI template (`{id}` is replaced by clients).
    constructor(string memory uri_) ERC1155(uri_) Ownable(msg.sender) {}

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

    /// @dev Keeps unit totals and their checkpoints in step with balances.
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
        uint48 now_ = SafeCast.toUint48(block.number);
        if (from == address(0)) {
            _totalCheckpoints.push(now_, SafeCast.toUint208(_totalCheckpoints.latest() + moved));
        } else {
            _unitCheckpoints[from].push(now_, SafeCast.toUint208(_unitCheckpoints[from].latest() - moved));
        }
        if (to == address(0)) {
            _totalCheckpoints.push(now_, SafeCast.toUint208(_totalCheckpoints.latest() - moved));
        } else {
            _unitCheckpoints[to].push(now_, SafeCast.toUint208(_unitCheckpoints[to].latest() + moved));
        }
    }

    function _past(uint256 blockNumber) private view returns (uint48) {
        if (blockNumber >= block.number) revert SharesFutureLookup(blockNumber, block.number);
        return SafeCast.toUint48(blockNumber);
    }
}
