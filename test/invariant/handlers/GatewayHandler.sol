// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {InferenceSettlement} from "../../../contracts/InferenceSettlement.sol";
import {ConcordSystem} from "../ConcordSystem.sol";
import {Ghost} from "../Ghost.sol";
import {bound} from "../lib/Vm.sol";
import {ActorHandler} from "./ActorHandler.sol";
import {NodeHandler} from "./NodeHandler.sol";
import {MATRIX, requestOf, signRequest, sortAddresses} from "./Sessions.sol";

/// @title GatewayHandler
/// @notice An honest gateway: serves a session for the querier's signed request it can see is
/// funded (every honest active host computes the same input for each token), then settles it,
/// listing each host with exactly the wins it signed.
contract GatewayHandler is ActorHandler {
    NodeHandler[] private _hosts;
    address public immutable querier;
    uint256 private _nonce;

    bool public hasPending;
    InferenceSettlement.Request private _request;
    bytes private _querierSig;
    uint256 private _tokens;
    address[] private _served;

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

    /// @notice Serves `tokens` tokens at `price` credits each for the querier, if its credits cover the cap.
    function serve(uint256 tokens, uint256 price) external asActor {
        if (hasPending || sys.models().modelCount() == 0) return;
        tokens = bound(tokens, 1, 4);
        price = bound(price, 1, 10);
        if (sys.credits().creditsOf(querier) < tokens * price) return;
        _request = requestOf(querier, actor, 1, price, tokens * price, ++_nonce);
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
        if (!hasPending) return;
        hasPending = false;
        InferenceSettlement.Request memory request = _request;
        // A gateway that let the querier's deadline pass has itself to blame: drop the session.
        if (block.timestamp > request.deadline) return;
        bool revoked = sys.credits().isNonceUsed(querier, uint256(sys.settlement().sessionIdOf(request)));
        if (revoked || sys.credits().creditsOf(querier) < request.maxCredits) {
            ghost.recordServed(false);
            return;
        }
        address[] memory hosts = _served;
        sortAddresses(hosts);
        InferenceSettlement.HostResult[] memory results = new InferenceSettlement.HostResult[](hosts.length);
        for (uint256 i; i < hosts.length; ++i) {
            results[i] = InferenceSettlement.HostResult(0, MATRIX, 0, hosts[i], uint32(_tokens), 0);
        }
        uint256 unitsBefore = sys.shares().totalUnits();
        (bytes32 session, uint256 debited) = sys.settlement().settleSession(
            InferenceSettlement.Receipt(request, _tokens, keccak256("votes"), results), _querierSig
        );
        ghost.recordSettle(session, unitsBefore, debited, results);
        ghost.recordServed(true);
    }
}
