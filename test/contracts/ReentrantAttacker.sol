// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ReentrantAttacker (test only)
/// @notice A node account that is a contract. Its owner drives it with `execute`; when armed, the
/// token receive hook and the ERC-1155 receive hooks try to re-enter `TaskMarket.claim`, and the
/// outcome of that attempt is recorded for the test to inspect.
contract ReentrantAttacker {
    address private immutable _owner;
    address public market;
    uint256 public taskId;
    bool public armed;
    uint256 public reentryAttempts;
    bool public reentrySucceeded;
    bytes public reentryError;
    uint256 public sharesHookCalls;

    error AttackerNotOwner();
    error AttackerCallFailed(bytes data);

    constructor() {
        _owner = msg.sender;
    }

    /// @notice Calls `target` with `data` as this contract; bubbles failures up.
    function execute(address target, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != _owner) revert AttackerNotOwner();
        (bool ok, bytes memory result) = target.call(data);
        if (!ok) revert AttackerCallFailed(result);
        return result;
    }

    /// @notice Arms the attack: the next hook tries `market_.claim(taskId_)` again.
    function arm(address market_, uint256 taskId_) external {
        if (msg.sender != _owner) revert AttackerNotOwner();
        market = market_;
        taskId = taskId_;
        armed = true;
    }

    /// @notice ReentrantToken's receive hook.
    function onTokensReceived(uint256) external {
        _reenter();
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external returns (bytes4) {
        ++sharesHookCalls;
        _reenter();
        return this.onERC1155Received.selector;
    }

    function onERC1155BatchReceived(address, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        returns (bytes4)
    {
        ++sharesHookCalls;
        _reenter();
        return this.onERC1155BatchReceived.selector;
    }

    function _reenter() private {
        if (!armed) return;
        armed = false;
        ++reentryAttempts;
        (bool ok, bytes memory result) = market.call(abi.encodeWithSignature("claim(uint256)", taskId));
        reentrySucceeded = ok;
        reentryError = result;
    }
}
