// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ConcordToken
/// @notice The Concord network token (CCD, 18 decimals). The whole supply is minted once,
/// at deployment, to `recipient`; there is no owner, no further minting and no burning.
contract ConcordToken is ERC20 {
    /// @param recipient Receives the entire fixed supply.
    /// @param supply The fixed total supply, in the smallest unit (10^-18 CCD).
    constructor(address recipient, uint256 supply) ERC20("Concord", "CCD") {
        _mint(recipient, supply);
    }
}
