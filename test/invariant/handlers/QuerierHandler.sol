// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessCredits} from "../../../contracts/AccessCredits.sol";
import {ConcordSystem} from "../ConcordSystem.sol";
import {Ghost} from "../Ghost.sol";
import {bound} from "../lib/Vm.sol";
import {ActorHandler} from "./ActorHandler.sol";
import {GatewayHandler} from "./GatewayHandler.sol";

/// @title QuerierHandler
/// @notice A querier: buys credits (paying the share holders), claims epoch credits for the units
/// it may hold, and, dishonestly, burns the nonce of a session a gateway already served for it
/// with a 0-credit voucher to itself (finding 6).
contract QuerierHandler is ActorHandler {
    GatewayHandler private _gateway;

    /// @notice See ActorHandler (a querier that may cheat its gateway).
    constructor(ConcordSystem sys_, Ghost ghost_, uint256 key_) ActorHandler(sys_, ghost_, key_, false, false) {}

    /// @notice The gateway serving this querier (set once in setup).
    function setGateway(GatewayHandler gateway) external {
        if (address(_gateway) == address(0)) _gateway = gateway;
    }

    /// @notice Buys up to 10,000 credits, if share units exist to receive the payment.
    function buyCredits(uint256 amount) external asActor {
        amount = bound(amount, 1, 10_000);
        uint256 cost = amount * sys.PRICE_PER_CREDIT();
        if (sys.shares().totalUnits() == 0 || sys.token().balanceOf(actor) < cost) return;
        sys.token().approve(address(sys.credits()), cost);
        sys.credits().buyCredits(amount);
        ghost.recordCredits(amount, false, 0);
    }

    /// @notice Claims this epoch's credits.
    function claimEpochCredits() external asActor {
        _claimEpochCredits();
    }

    /// @notice Consumes the nonce of the gateway's served session with a 0-credit voucher to itself.
    function burnServedNonce() external asActor {
        bytes32 session = _gateway.pendingSession();
        if (session == bytes32(0) || sys.credits().isNonceUsed(actor, uint256(session))) return;
        AccessCredits.Voucher memory v = AccessCredits.Voucher(actor, actor, 0, uint256(session), block.timestamp);
        sys.credits().spend(v, _sign(sys.credits().hashVoucher(v)), 0);
    }
}
