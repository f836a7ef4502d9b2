// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessCredits} from "../../../contracts/AccessCredits.sol";
import {InferenceSettlement} from "../../../contracts/InferenceSettlement.sol";
import {ConcordSystem} from "../ConcordSystem.sol";
import {Ghost} from "../Ghost.sol";
import {bound} from "../lib/Vm.sol";
import {ActorHandler} from "./ActorHandler.sol";
import {NodeHandler} from "./NodeHandler.sol";
import {MATRIX, requestOf, signRequest, sortAddresses} from "./Sessions.sol";

/// @title GatewayHandler
/// @notice An honest gateway (a registered node): serves a session for the querier's signed
/// request when the querier's deposit for it covers the cap and stays locked past the request's
/// deadline (every honest active host computes the same input for each token), then settles it,
/// listing each host with one win per token.
contract GatewayHandler is ActorHandler {
    NodeHandler[] private _hosts;
    address public immutable querier;
    uint256 private _nonce;

    bool public hasPending;
    InferenceSettlement.Request private _request;
    bytes private _querierSig;
    uint256 private _tokens;
    address[] private _served;
    bytes32 private _lastSession;
    address[] private _lastHosts;
    uint256 private _lastTokens;

    /// @param hosts The honest nodes it routes to; @param querier_ the querier whose requests it serves.
    constructor(ConcordSystem sys_, Ghost ghost_, uint256 key_, NodeHandler[] memory hosts, address querier_)
        ActorHandler(sys_, ghost_, key_, true, false)
    {
        for (uint256 i; i < hosts.length; ++i) {
            _hosts.push(hosts[i]);
        }
        querier = querier_;
    }

    /// @notice The session id of the served, unsettled session (0 when none).
    function pendingSession() external view returns (bytes32) {
        return hasPending ? sys.settlement().sessionIdOf(_request) : bytes32(0);
    }

    /// @notice Registers the gateway as a node staking `amount` (setup: only active nodes settle).
    function register(uint256 amount) external asActor {
        _register(amount);
    }

    /// @notice The last settled session and its results (for attackers replaying them).
    function lastSettled() external view returns (bytes32 session, InferenceSettlement.HostResult[] memory results) {
        session = _lastSession;
        results = _resultsOf(_lastHosts, _lastTokens);
    }

    /// @notice Serves `tokens` tokens at `price` credits each for the querier, if its deposit for
    /// this gateway covers the cap and cannot be withdrawn before the request's deadline.
    function serve(uint256 tokens, uint256 price) external asActor {
        if (hasPending || sys.models().modelCount() == 0 || !sys.registry().isActive(actor)) return;
        tokens = bound(tokens, 1, 4);
        price = bound(price, 1, 10);
        _request = requestOf(querier, actor, 1, price, tokens * price, ++_nonce);
        AccessCredits.Deposit memory d = sys.credits().depositOf(querier, actor);
        if (d.granted + d.bought < tokens * price) return;
        if (d.unlockAt != 0 && d.unlockAt <= _request.deadline) return;
        _querierSig = signRequest(sys.settlement(), sys.credits(), _request, ghost.keyOf(querier));
        bytes32 session = sys.settlement().sessionIdOf(_request);
        delete _served;
        for (uint256 i; i < _hosts.length; ++i) {
            if (!sys.registry().isActive(_hosts[i].actor())) continue;
            for (uint64 step; step < tokens; ++step) {
                _hosts[i].serve(session, step, 0, MATRIX, 0, keccak256(abi.encode(session, step)));
            }
            _served.push(_hosts[i].actor());
        }
        if (_served.length == 0) return;
        _tokens = tokens;
        hasPending = true;
    }

    /// @notice Settles the served session; a session that can no longer be settled is recorded unpaid.
    function settle() external asActor {
        if (!hasPending || !sys.registry().isActive(actor)) return;
        hasPending = false;
        InferenceSettlement.Request memory request = _request;
        // A gateway that let the querier's deadline pass has itself to blame: drop the session.
        if (block.timestamp > request.deadline) return;
        bool revoked = sys.credits().isNonceUsed(querier, actor, uint256(sys.settlement().sessionIdOf(request)));
        AccessCredits.Deposit memory d = sys.credits().depositOf(querier, actor);
        if (revoked || d.granted + d.bought < request.maxCredits) {
            ghost.recordServed(false);
            return;
        }
        address[] memory hosts = _served;
        sortAddresses(hosts);
        InferenceSettlement.HostResult[] memory results = _resultsOf(hosts, _tokens);
        uint256 unitsBefore = sys.shares().totalUnits();
        uint256 boughtBefore = d.bought;
        (bytes32 session, uint256 debited) = sys.settlement().settleSession(
            InferenceSettlement.Receipt(request, _tokens, keccak256("votes"), results), _querierSig
        );
        uint256 bought = boughtBefore - sys.credits().depositOf(querier, actor).bought;
        ghost.recordSettle(unitsBefore, debited, bought, _tokens, results);
        ghost.recordServed(true);
        _lastSession = session;
        _lastHosts = hosts;
        _lastTokens = _tokens;
    }

    function _resultsOf(address[] memory hosts, uint256 tokens)
        private
        pure
        returns (InferenceSettlement.HostResult[] memory results)
    {
        results = new InferenceSettlement.HostResult[](hosts.length);
        for (uint256 i; i < hosts.length; ++i) {
            results[i] = InferenceSettlement.HostResult(0, MATRIX, 0, hosts[i], uint32(tokens), 0);
        }
    }
}
