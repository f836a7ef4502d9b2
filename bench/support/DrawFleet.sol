// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice The part of NodeRegistry (old or new) a bench node uses.
interface IBenchRegistry {
    function register(bytes calldata peerId, bytes calldata peerSig, uint256 amount) external;
    function requestUnstake(uint256 amount) external;
}

/// @title BenchNode
/// @notice One registered node of bench/draw.ts: registers itself (and leaves at once if `leaves`)
/// in its constructor, with tokens its fleet sends it.
contract BenchNode {
    constructor(IERC20 token, IBenchRegistry registry, uint256 amount, bool leaves) {
        DrawFleet(msg.sender).fund(amount);
        token.approve(address(registry), amount);
        registry.register(abi.encodePacked(address(this)), "", amount);
        if (leaves) registry.requestUnstake(amount);
    }
}

/// @title DrawFleet
/// @notice Registers many nodes in few transactions for bench/draw.ts: every other one leaves
/// right after registering, so half of the registered accounts are inactive. Bench only.
contract DrawFleet {
    IERC20 private immutable _token;

    /// @param token_ The staking token; the fleet must hold enough of it.
    constructor(IERC20 token_) {
        _token = token_;
    }

    /// @notice Sends `amount` tokens to the calling node (called from its constructor).
    /// Requirements:
    /// - none (a bench helper holding only bench tokens).
    function fund(uint256 amount) external {
        _token.transfer(msg.sender, amount);
    }

    /// @notice Registers `count` nodes staking `amount` each in `registry`; node `first + i` leaves
    /// at once when its index is odd.
    /// Requirements:
    /// - the fleet holds `count * amount` tokens.
    function spawn(IBenchRegistry registry, uint256 amount, uint256 first, uint256 count) external {
        for (uint256 i; i < count; ++i) {
            new BenchNode(_token, registry, amount, (first + i) % 2 == 1);
        }
    }
}
