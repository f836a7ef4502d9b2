// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskMarket} from "../../../contracts/TaskMarket.sol";
import {Ghost} from "../Ghost.sol";
import {bound} from "../lib/Vm.sol";
import {NodeHandler} from "./NodeHandler.sol";

/// @title ClockHandler
/// @notice The only thing that moves time, in 12-s slots (one block each). Honest nodes are
/// always online: they act before time moves and again at the first block at or after every
/// task deadline the jump crosses, so an honest node misses a window only if no block falls in it.
contract ClockHandler {
    Ghost private immutable _ghost;
    TaskMarket private immutable _market;
    NodeHandler[] private _honest;

    /// @param ghost_ The shared clock; @param market the tasks whose deadlines matter;
    /// @param honest the honest nodes to wake.
    constructor(Ghost ghost_, TaskMarket market, NodeHandler[] memory honest) {
        _ghost = ghost_;
        _market = market;
        for (uint256 i; i < honest.length; ++i) {
            _honest.push(honest[i]);
        }
    }

    /// @notice Advances 1 to 600 slots (up to two hours), waking the honest nodes on the way.
    function advance(uint256 slots) external {
        _ghost.sync();
        uint256 slot = _ghost.SLOT();
        uint256 target = _ghost.time() + bound(slots, 1, 600) * slot;
        _duties();
        uint256[] memory deadlines = _deadlines(target);
        for (uint256 i; i < deadlines.length; ++i) {
            if (deadlines[i] <= _ghost.time()) continue;
            _ghost.advance((deadlines[i] - _ghost.time() + slot - 1) / slot);
            _duties();
        }
        if (target > _ghost.time()) _ghost.advance((target - _ghost.time()) / slot);
        _duties();
    }

    /// @dev The commit and reveal deadlines of open tasks in `(now, target]`, ascending.
    function _deadlines(uint256 target) private view returns (uint256[] memory list) {
        uint256[] memory ids = _ghost.tasks();
        uint256 now_ = _ghost.time();
        list = new uint256[](2 * ids.length);
        uint256 count;
        for (uint256 i; i < ids.length; ++i) {
            if (_ghost.settled(ids[i])) continue;
            TaskMarket.TaskParams memory p = _market.getTask(ids[i]).params;
            uint256[2] memory pair = [uint256(p.commitDeadline), uint256(p.revealDeadline)];
            for (uint256 j; j < 2; ++j) {
                if (pair[j] <= now_ || pair[j] > target) continue;
                uint256 k = count++;
                while (k > 0 && list[k - 1] > pair[j]) {
                    list[k] = list[k - 1];
                    --k;
                }
                list[k] = pair[j];
            }
        }
        assembly ("memory-safe") {
            mstore(list, count)
        }
    }

    function _duties() private {
        for (uint256 i; i < _honest.length; ++i) {
            _honest[i].performDuties();
        }
    }
}
