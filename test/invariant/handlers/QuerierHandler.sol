// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessCredits} from "../../../contracts/AccessCredits.sol";
import {ConcordSystem} from "../ConcordSystem.sol";
import {Ghost} from "../Ghost.sol";
import {bound} from "../lib/Vm.sol";
import {ActorHandler} from "./ActorHandler.sol";
import {GatewayHandler} from "./GatewayHandler.sol";

/// @title QuerierHandler
/// @notice A querier: buys credits (paying the share holders' dividends), claims epoch credits for
/// the units it may hold, deposits credits for its gateway and, dishonestly, tries to take them
/// back under a served session (`requestWithdrawal`, `withdraw`) or to burn the served session's
/// nonce with a voucher to another spender (finding 6).
contract QuerierHandler is ActorHandler {
    GatewayHandler private _gateway;

    /// @notice See ActorHandler (a querier that may cheat its gateway).
    constructor(ConcordSystem sys_, Ghost ghost_, uint256 key_) ActorHandler(sys_, ghost_, key_, false, false) {}

    /// @notice The gateway serving this querier (set once in setup).
    function setGateway(GatewayHandler gateway) external {
        if (address(_gateway) == address(0)) _gateway = gateway;
    }

    /// @notice Buys up to 10,000 credits.
    function buyCredits(uint256 amount) external asActor {
        amount = bound(amount, 1, 10_000);
        uint256 cost = amount * sys.PRICE_PER_CREDIT();
        if (sys.token().balanceOf(actor) < cost) return;
        sys.token().approve(address(sys.credits()), cost);
        sys.credits().buyCredits(amount);
        ghost.recordCredits(amount, false, 0);
    }

    /// @notice Claims this epoch's credits.
    function claimEpochCredits() external asActor {
        _claimEpochCredits();
    }

    /// @notice Locks up to 100 of its credits for the gateway.
    function deposit(uint256 amount) external asActor {
        uint256 held = sys.credits().creditsOf(actor);
        if (held == 0) return;
        sys.credits().deposit(_gateway.actor(), bound(amount, 1, held < 100 ? held : 100));
    }

    /// @notice Starts the withdrawal delay of its deposit for the gateway.
    function requestWithdrawal() external asActor {
        sys.credits().requestWithdrawal(_gateway.actor());
    }

    /// @notice Takes its deposit for the gateway back once the delay has passed.
    function withdraw() external asActor {
        uint256 unlockAt = sys.credits().depositOf(actor, _gateway.actor()).unlockAt;
        if (unlockAt == 0 || block.timestamp < unlockAt) return;
        sys.credits().withdraw(_gateway.actor());
    }

    /// @notice Finding 6: consumes the served session's nonce with a 0-credit voucher to itself;
    /// the gateway's nonce must stay unused.
    function burnServedNonce() external asActor {
        bytes32 session = _gateway.pendingSession();
        if (session == bytes32(0) || sys.credits().isNonceUsed(actor, actor, uint256(session))) return;
        AccessCredits.Voucher memory v = AccessCredits.Voucher(actor, actor, 0, uint256(session), block.timestamp);
        sys.credits().spend(v, _sign(sys.credits().hashVoucher(v)), 0);
        if (sys.credits().isNonceUsed(actor, _gateway.actor(), uint256(session))) {
            ghost.recordAttack("querier burnt its gateway's nonce");
        }
    }
}
