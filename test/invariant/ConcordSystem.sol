// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessCredits} from "../../contracts/AccessCredits.sol";
import {ConcordToken} from "../../contracts/ConcordToken.sol";
import {InferenceSettlement} from "../../contracts/InferenceSettlement.sol";
import {ModelRegistry} from "../../contracts/ModelRegistry.sol";
import {NodeRegistry} from "../../contracts/NodeRegistry.sol";
import {Shares} from "../../contracts/Shares.sol";
import {TaskMarket} from "../../contracts/TaskMarket.sol";

/// @title ConcordSystem
/// @notice Deploys every Concord contract as `deployConcord` (src/chain/deploy.ts) does, with its
/// devnet parameters, wires the roles, mints the genesis units and renounces the ownerships;
/// keeps the whole token supply as the treasury that funds the actors. The one place to change
/// when a constructor or a role changes.
contract ConcordSystem {
    uint256 public constant SUPPLY = 1_000_000_000 ether;
    uint256 public constant MIN_STAKE = 100 ether;
    uint64 public constant UNSTAKE_DELAY = 3600;
    uint256 public constant EPOCH_LENGTH = 3600;
    uint256 public constant CREDITS_PER_EPOCH = 1_000_000;
    uint256 public constant PRICE_PER_CREDIT = 0.001 ether;
    uint256 public constant WITHDRAWAL_DELAY = 7200;
    uint256 public constant UNITS_PER_CREDIT = 1000;
    uint256 public constant EQUIVOCATION_SLASH = 10 ether;
    uint256 public constant GENESIS_UNITS = 1_000_000;
    /// @notice Holds the genesis units (an account nobody acts as: its dividends stay in AccessCredits).
    address public constant GENESIS_HOLDER = address(0x9e9e515);

    ConcordToken public immutable token;
    NodeRegistry public immutable registry;
    Shares public immutable shares;
    TaskMarket public immutable market;
    ModelRegistry public immutable models;
    AccessCredits public immutable credits;
    InferenceSettlement public immutable settlement;

    /// @notice Deploys and wires the contracts; this contract receives the supply, mints the
    /// genesis units and renounces every ownership, as `deployConcord` does.
    constructor() {
        token = new ConcordToken(address(this), SUPPLY);
        registry = new NodeRegistry(token, MIN_STAKE, UNSTAKE_DELAY);
        shares = new Shares("concord://artifact/{id}");
        credits = new AccessCredits(token, shares, EPOCH_LENGTH, CREDITS_PER_EPOCH, PRICE_PER_CREDIT, WITHDRAWAL_DELAY);
        market = new TaskMarket(
            token,
            registry,
            shares,
            credits,
            TaskMarket.Limits({
                minCommitWindow: 60,
                minRevealWindow: 60,
                maxDuration: 30 days,
                maxBondMultiple: 10,
                maxSlashMultiple: 10,
                feeBps: 1000
            })
        );
        models = new ModelRegistry(market);
        settlement = new InferenceSettlement(credits, shares, registry, models, UNITS_PER_CREDIT, EQUIVOCATION_SLASH);
        registry.setSlasher(address(market), true);
        registry.setSlasher(address(settlement), true);
        shares.setMinter(address(market), true);
        shares.setMinter(address(settlement), true);
        credits.setSettler(address(settlement), true);
        shares.setMinter(address(this), true);
        shares.mint(GENESIS_HOLDER, 0, GENESIS_UNITS);
        shares.setMinter(address(this), false);
        registry.renounceOwnership();
        shares.renounceOwnership();
        credits.renounceOwnership();
    }

    /// @notice Sends `amount` tokens of the treasury to `to` (test setup only).
    function fund(address to, uint256 amount) external {
        token.transfer(to, amount);
    }

    /// @notice Every contract that may hold tokens, for the supply invariant (AccessCredits holds
    /// dividends and their rounding dust, InferenceSettlement the stake it slashed).
    function contractAddresses() external view returns (address[] memory all) {
        all = new address[](8);
        all[0] = address(this);
        all[1] = address(token);
        all[2] = address(registry);
        all[3] = address(shares);
        all[4] = address(market);
        all[5] = address(models);
        all[6] = address(credits);
        all[7] = address(settlement);
    }
}
