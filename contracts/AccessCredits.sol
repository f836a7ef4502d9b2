// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Shares} from "./Shares.sol";

/// @title AccessCredits
/// @notice Query credits for the Concord model. Share holders claim credits each epoch in
/// proportion to their share units at the epoch's snapshot block (the block before the first
/// `snapshotEpoch`/`claimEpochCredits` call of the epoch); anyone buys credits with tokens, and the
/// payment goes to the share holders as dividends. A querier spends credits through an EIP-712
/// voucher it signs for one gateway (`spender`), with a nonce that can be used once.
/// @dev The owner (the deployer) authorizes settlement contracts that may spend vouchers on behalf
/// of their spender; renounce it or use a multisig in production.
contract AccessCredits is EIP712, Ownable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice A querier's permission for `spender` to debit up to `maxCredits` once, until `deadline`.
    struct Voucher {
        address querier;
        address spender;
        uint256 maxCredits;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice EIP-712 type hash of `Voucher`.
    bytes32 public constant VOUCHER_TYPEHASH =
        keccak256("Voucher(address querier,address spender,uint256 maxCredits,uint256 nonce,uint256 deadline)");

    IERC20 private immutable _token;
    Shares private immutable _shares;
    uint256 private immutable _genesis;
    uint256 private immutable _epochLength;
    uint256 private immutable _creditsPerEpoch;
    uint256 private immutable _pricePerCredit;

    mapping(address account => uint256) private _credits;
    mapping(address account => mapping(uint256 epoch => bool)) private _claimed;
    mapping(address querier => mapping(uint256 nonce => bool)) private _usedNonces;
    mapping(address account => bool) private _settlers;
    mapping(uint256 epoch => uint256 blockNumber) private _firstBlockOfEpoch;

    /// @notice The share units of `epoch` are those at the end of block `snapshotBlock`.
    event EpochSnapshotTaken(uint256 indexed epoch, uint256 snapshotBlock);
    /// @notice `account` claimed `credits` for `epoch` as a share holder.
    event EpochCreditsClaimed(address indexed account, uint256 indexed epoch, uint256 credits);
    /// @notice `buyer` bought `credits` for `cost` tokens, paid to the share holders.
    event CreditsBought(address indexed buyer, uint256 credits, uint256 cost);
    /// @notice `spender` debited `amount` credits of `querier` with voucher `nonce`.
    event CreditsSpent(address indexed querier, address indexed spender, uint256 indexed nonce, uint256 amount);
    /// @notice The owner allowed (or disallowed) `settler` to spend vouchers.
    event SettlerSet(address indexed settler, bool allowed);

    /// @notice A parameter is invalid; `reason` names it.
    error CreditsInvalidParams(string reason);
    /// @notice A zero amount was given where a positive one is needed.
    error CreditsZeroAmount();
    /// @notice `account` already claimed its credits for `epoch`.
    error CreditsAlreadyClaimed(address account, uint256 epoch);
    /// @notice `account` held no share units at the start of `epoch`.
    error CreditsNoShares(address account, uint256 epoch);
    /// @notice The caller is neither the voucher's spender nor an authorized settler.
    error CreditsNotSpender(address caller);
    /// @notice The voucher's deadline has passed.
    error CreditsVoucherExpired(uint256 deadline);
    /// @notice The voucher's nonce was already used.
    error CreditsVoucherUsed(address querier, uint256 nonce);
    /// @notice `amount` is above the voucher's `maxCredits`.
    error CreditsVoucherExceeded(uint256 amount, uint256 maxCredits);
    /// @notice The signature is not the querier's signature of the voucher.
    error CreditsBadSignature();
    /// @notice The querier has `available` credits, fewer than `amount`.
    error CreditsInsufficient(address querier, uint256 available, uint256 amount);

    /// @param token_ The token credits are bought with.
    /// @param shares_ The ownership shares: source of holders' units and recipient of payments.
    /// @param epochLength_ Seconds per epoch; epoch 0 starts at deployment.
    /// @param creditsPerEpoch_ Credits shared among all units each epoch.
    /// @param pricePerCredit_ Tokens per bought credit.
    constructor(
        IERC20 token_,
        Shares shares_,
        uint256 epochLength_,
        uint256 creditsPerEpoch_,
        uint256 pricePerCredit_
    ) EIP712("ConcordAccessCredits", "1") Ownable(msg.sender) {
        if (epochLength_ == 0) revert CreditsInvalidParams("epochLength is zero");
        _token = token_;
        _shares = shares_;
        _genesis = block.timestamp;
        _epochLength = epochLength_;
        _creditsPerEpoch = creditsPerEpoch_;
        _pricePerCredit = pricePerCredit_;
    }

    /// @notice Fixes the current epoch's snapshot block, if not fixed yet, to the block before this
    /// call, and returns it. Every claim of the epoch uses that block's share units, so units moved
    /// later cannot claim twice. Anyone (a keeper) may call it right at the epoch's start.
    /// Requirements: none.
    function snapshotEpoch() public returns (uint256 snapshotBlock) {
        uint256 epoch = currentEpoch();
        uint256 first = _firstBlockOfEpoch[epoch];
        if (first == 0) {
            first = block.number;
            _firstBlockOfEpoch[epoch] = first;
            emit EpochSnapshotTaken(epoch, first - 1);
        }
        return first - 1;
    }

    /// @notice Claims the caller's credits for the current epoch:
    /// `creditsPerEpoch * unitsAt(caller, b) / totalUnitsAt(b)` with `b = snapshotEpoch()`.
    /// Requirements:
    /// - not claimed yet this epoch; the caller held share units at the epoch's snapshot block.
    function claimEpochCredits() external returns (uint256 credits) {
        uint256 epoch = currentEpoch();
        if (_claimed[msg.sender][epoch]) revert CreditsAlreadyClaimed(msg.sender, epoch);
        uint256 snapshot = snapshotEpoch();
        uint256 units = _shares.unitsAt(msg.sender, snapshot);
        if (units == 0) revert CreditsNoShares(msg.sender, epoch);
        credits = _creditsPerEpoch * units / _shares.totalUnitsAt(snapshot);
        _claimed[msg.sender][epoch] = true;
        _credits[msg.sender] += credits;
        emit EpochCreditsClaimed(msg.sender, epoch, credits);
    }

    /// @notice Buys `amount` credits for `amount * pricePerCredit()` tokens, which are distributed
    /// to the share holders as dividends.
    /// Requirements:
    /// - `amount > 0`; share units exist; the caller approved this contract for the cost.
    function buyCredits(uint256 amount) external nonReentrant {
        if (amount == 0) revert CreditsZeroAmount();
        uint256 cost = amount * _pricePerCredit;
        _credits[msg.sender] += amount;
        emit CreditsBought(msg.sender, amount, cost);
        if (cost > 0) {
            _token.safeTransferFrom(msg.sender, address(this), cost);
            _token.forceApprove(address(_shares), cost);
            _shares.distributeDividends(cost);
        }
    }

    /// @notice Debits `amount` credits of `voucher.querier`, consuming the voucher's nonce.
    /// Requirements:
    /// - the caller is `voucher.spender` or an authorized settler;
    /// - `block.timestamp <= voucher.deadline`; the nonce is unused; `amount <= voucher.maxCredits`;
    /// - `signature` is the querier's EIP-712 signature of `voucher` for this chain and contract;
    /// - the querier has at least `amount` credits.
    function spend(Voucher calldata voucher, bytes calldata signature, uint256 amount) external {
        if (msg.sender != voucher.spender && !_settlers[msg.sender]) revert CreditsNotSpender(msg.sender);
        if (block.timestamp > voucher.deadline) revert CreditsVoucherExpired(voucher.deadline);
        if (_usedNonces[voucher.querier][voucher.nonce]) revert CreditsVoucherUsed(voucher.querier, voucher.nonce);
        if (amount > voucher.maxCredits) revert CreditsVoucherExceeded(amount, voucher.maxCredits);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hashVoucher(voucher), signature);
        if (err != ECDSA.RecoverError.NoError || signer != voucher.querier) revert CreditsBadSignature();
        uint256 available = _credits[voucher.querier];
        if (available < amount) revert CreditsInsufficient(voucher.querier, available, amount);
        _usedNonces[voucher.querier][voucher.nonce] = true;
        // unchecked: available >= amount was checked just above.
        unchecked {
            _credits[voucher.querier] = available - amount;
        }
        emit CreditsSpent(voucher.querier, voucher.spender, voucher.nonce, amount);
    }

    /// @notice Allows or disallows `settler` to spend vouchers on behalf of their spender.
    /// Requirements:
    /// - the caller is the owner.
    function setSettler(address settler, bool allowed) external onlyOwner {
        _settlers[settler] = allowed;
        emit SettlerSet(settler, allowed);
    }

    /// @notice The EIP-712 digest a querier signs for `voucher`.
    function hashVoucher(Voucher calldata voucher) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    VOUCHER_TYPEHASH,
                    voucher.querier,
                    voucher.spender,
                    voucher.maxCredits,
                    voucher.nonce,
                    voucher.deadline
                )
            )
        );
    }

    /// @notice The current epoch (0 from deployment, then one per `epochLength()` seconds).
    function currentEpoch() public view returns (uint256) {
        return (block.timestamp - _genesis) / _epochLength;
    }

    /// @notice The timestamp at which `epoch` starts.
    function epochStart(uint256 epoch) public view returns (uint256) {
        return _genesis + epoch * _epochLength;
    }

    /// @notice The credits `account` holds.
    function creditsOf(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @notice The snapshot block of `epoch`, once fixed (`taken` is false before).
    function epochSnapshotBlock(uint256 epoch) external view returns (bool taken, uint256 snapshotBlock) {
        uint256 first = _firstBlockOfEpoch[epoch];
        return first == 0 ? (false, 0) : (true, first - 1);
    }

    /// @notice Whether `account` claimed its credits for `epoch`.
    function hasClaimed(address account, uint256 epoch) external view returns (bool) {
        return _claimed[account][epoch];
    }

    /// @notice Whether `querier` used voucher `nonce`.
    function isNonceUsed(address querier, uint256 nonce) external view returns (bool) {
        return _usedNonces[querier][nonce];
    }

    /// @notice Whether `account` may spend vouchers on behalf of their spender.
    function isSettler(address account) external view returns (bool) {
        return _settlers[account];
    }

    /// @notice The immutable parameters: token, shares, genesis time, epoch length, credits per epoch, price.
    function config()
        external
        view
        returns (
            IERC20 token,
            Shares shares,
            uint256 genesis,
            uint256 epochLength,
            uint256 creditsPerEpoch,
            uint256 pricePerCredit
        )
    {
        return (_token, _shares, _genesis, _epochLength, _creditsPerEpoch, _pricePerCredit);
    }
}
