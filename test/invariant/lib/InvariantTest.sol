// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title InvariantTest
/// @notice The target lists forge's invariant runner reads from a test contract (the same ABI as
/// forge-std's StdInvariant): which contracts it calls, with which selectors, and which senders
/// it never uses. Handlers prank their own actors, so the random sender does not matter.
abstract contract InvariantTest {
    /// @notice A target contract and the selectors of it the fuzzer may call.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetedContracts;
    FuzzSelector[] private _targetedSelectors;
    address[] private _excludedSenders;

    /// @notice Tells forge to call `selectors` of `target` (and only those).
    function targetSelector(address target, bytes4[] memory selectors) internal {
        _targetedContracts.push(target);
        _targetedSelectors.push(FuzzSelector(target, selectors));
    }

    /// @notice Tells forge never to use `sender` as msg.sender.
    function excludeSender(address sender) internal {
        _excludedSenders.push(sender);
    }

    /// @notice Read by forge: the contracts it calls.
    function targetContracts() public view returns (address[] memory) {
        return _targetedContracts;
    }

    /// @notice Read by forge: the selectors it calls on each target.
    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetedSelectors;
    }

    /// @notice Read by forge: senders it never uses.
    function excludeSenders() public view returns (address[] memory) {
        return _excludedSenders;
    }
}
