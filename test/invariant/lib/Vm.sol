// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Vm
/// @notice The few forge cheatcodes the invariant suite uses (a subset of forge-std's Vm; the
/// signatures must match forge's exactly, as calls are dispatched by selector).
interface Vm {
    /// @notice Sets block.timestamp.
    function warp(uint256 newTimestamp) external;
    /// @notice Sets block.number.
    function roll(uint256 newHeight) external;
    /// @notice Makes the next call come from `msgSender`.
    function prank(address msgSender) external;
    /// @notice Makes every following call come from `msgSender` until `stopPrank`.
    function startPrank(address msgSender) external;
    /// @notice Ends `startPrank`.
    function stopPrank() external;
    /// @notice Signs `digest` with `privateKey` (secp256k1).
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    /// @notice The address of `privateKey`.
    function addr(uint256 privateKey) external pure returns (address keyAddr);
    /// @notice `value` in decimal.
    function toString(uint256 value) external pure returns (string memory stringifiedValue);
    /// @notice Names `account` in traces.
    function label(address account, string calldata newLabel) external;
    /// @notice The boolean environment variable `name`, or `defaultValue` when unset.
    function envOr(string calldata name, bool defaultValue) external view returns (bool value);
    /// @notice Fails the test with `message` unless `left == right`.
    function assertEq(uint256 left, uint256 right, string calldata message) external pure;
    /// @notice Fails the test with `message` unless `left >= right`.
    function assertGe(uint256 left, uint256 right, string calldata message) external pure;
    /// @notice Fails the test with `message` unless `left <= right`.
    function assertLe(uint256 left, uint256 right, string calldata message) external pure;
    /// @notice Fails the test with `message` unless `condition`.
    function assertTrue(bool condition, string calldata message) external pure;
}

/// @dev The cheatcode address: `address(uint160(uint256(keccak256("hevm cheat code"))))`.
Vm constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

/// @notice Maps `x` into `[min, max]` (both included), keeping small inputs small as forge-std's bound does.
function bound(uint256 x, uint256 min, uint256 max) pure returns (uint256) {
    if (max <= min) return min;
    uint256 size = max - min + 1;
    if (x >= min && x <= max) return x;
    return min + (x % size);
}
