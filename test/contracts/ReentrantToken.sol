// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Implemented by contracts that want a callback when they receive ReentrantToken.
interface ITokenReceiver {
    /// @notice Called by ReentrantToken after `amount` tokens arrived.
    function onTokensReceived(uint256 amount) external;
}

/// @title ReentrantToken (test only)
/// @notice An ERC-20 with an ERC-777-style receive hook: after every transfer to `hookTarget` it
/// calls `hookTarget.onTokensReceived`, giving the receiver a chance to re-enter the payer.
contract ReentrantToken is ERC20 {
    address public hookTarget;

    constructor(address recipient, uint256 supply) ERC20("Reentrant", "REE") {
        _mint(recipient, supply);
    }

    /// @notice Sets the account whose incoming transfers trigger the hook (0 = none).
    function setHookTarget(address target) external {
        hookTarget = target;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (to == hookTarget && to != address(0)) ITokenReceiver(to).onTokensReceived(value);
    }
}
