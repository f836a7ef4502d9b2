// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessCredits} from "../../../contracts/AccessCredits.sol";
import {InferenceSettlement} from "../../../contracts/InferenceSettlement.sol";
import {vm} from "../lib/Vm.sol";

// The matrix every fuzzed session computes (`keccak256("attn.c_attn")`, as on chain).
bytes32 constant MATRIX = keccak256("attn.c_attn");

/// @notice A session request from `querier` to `gateway` on version 0 of `modelId`.
function requestOf(address querier, address gateway, uint256 modelId, uint256 price, uint256 maxCredits, uint256 nonce)
    view
    returns (InferenceSettlement.Request memory)
{
    return InferenceSettlement.Request({
        querier: querier,
        gateway: gateway,
        modelId: modelId,
        versionIndex: 0,
        creditsPerToken: price,
        maxCredits: maxCredits,
        nonce: nonce,
        deadline: block.timestamp + 1 hours
    });
}

/// @notice The querier's signature (with `querierKey`) of the AccessCredits voucher of `request`.
function signRequest(InferenceSettlement settlement, AccessCredits credits, InferenceSettlement.Request memory request, uint256 querierKey)
    view
    returns (bytes memory)
{
    (uint8 v, bytes32 r, bytes32 s) = vm.sign(querierKey, credits.hashVoucher(settlement.voucherOf(request)));
    return abi.encodePacked(r, s, v);
}

/// @notice Sorts `hosts` ascending in place (the order receipts and evidence need).
function sortAddresses(address[] memory hosts) pure {
    for (uint256 i = 1; i < hosts.length; ++i) {
        address h = hosts[i];
        uint256 j = i;
        while (j > 0 && hosts[j - 1] > h) {
            hosts[j] = hosts[j - 1];
            --j;
        }
        hosts[j] = h;
    }
}
