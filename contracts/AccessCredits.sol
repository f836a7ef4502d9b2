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
/// `snapshotEpoch`/`claimEpochCredits`/`buyCredits` call of the epoch): these are *granted*
/// credits. Anyone buys credits with tokens: *bought* credits. The two are kept apart, so a
/// settlement can mint ownership only against credits paid for. A purchase's tokens are the
/// dividends of its epoch, claimable after the epoch by the units held at its snapshot block, so
/// units moved in just before a purchase take none of it.
/// To pay a gateway, a querier first deposits credits for it (`deposit`); a deposit can be taken
/// back only `withdrawalDelay` seconds after `requestWithdrawal`, so a gateway (and its hosts)
/// serve a request only when the deposit covers its cap and stays locked past its deadline. A
/// querier spends a deposit through an EIP-712 voucher it signs for that gateway (`spender`), with
/// a nonce used once per (querier, spender): only the named gateway (or a settler acting for it)
/// consumes it, and a querier cannot burn a gateway's nonce through another spender.
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

    /// @notice Credits of one kind: `granted` (claimed by share holders) and `bought` (paid in tokens).
    struct Balance {
        uint256 granted;
        uint256 bought;
    }

    /// @notice Credits a querier locked for one gateway; `unlockAt` is 0 unless a withdrawal is pending.
    struct Deposit {
        uint256 granted;
        uint256 bought;
        uint256 unlockAt;
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
    uint256 private immutable _withdrawalDelay;

    mapping(address account => Balance) private _balances;
    mapping(address querier => mapping(address gateway => Deposit)) private _deposits;
    mapping(address account => mapping(uint256 epoch => bool)) private _claimed;
    mapping(address querier => mapping(address spender => mapping(uint256 nonce => bool))) private _usedNonces;
    mapping(address account => bool) private _settlers;
    mapping(uint256 epoch => uint256 blockNumber) private _firstBlockOfEpoch;
    mapping(uint256 epoch => uint256 tokens) private _dividends;
    mapping(address account => mapping(uint256 epoch => bool)) private _dividendsClaimed;

    /// @notice The share units of `epoch` are those at the end of block `snapshotBlock`.
    event EpochSnapshotTaken(uint256 indexed epoch, uint256 snapshotBlock);
    /// @notice `account` claimed `credits` for `epoch` as a share holder.
    event EpochCreditsClaimed(address indexed account, uint256 indexed epoch, uint256 credits);
    /// @notice `buyer` bought `credits` for `cost` tokens: dividends of epoch `epoch`.
    event CreditsBought(address indexed buyer, uint256 credits, uint256 cost, uint256 indexed epoch);
    /// @notice `account` claimed `amount` tokens of `epoch`'s dividends.
    event DividendsClaimed(address indexed account, uint256 indexed epoch, uint256 amount);
    /// @notice `from` paid `amount` tokens as dividends of `epoch`'s share holders.
    event DividendsPaid(address indexed from, uint256 amount, uint256 indexed epoch);
    /// @notice The dividends of `fromEpoch`, which never had a snapshot, moved to `toEpoch`.
    event DividendsRolled(uint256 indexed fromEpoch, uint256 indexed toEpoch, uint256 amount);
    /// @notice `querier` locked `amount` credits for `gateway`.
    event CreditsDeposited(address indexed querier, address indexed gateway, uint256 amount);
    /// @notice `querier` may take its deposit for `gateway` back from `unlockAt`.
    event WithdrawalRequested(address indexed querier, address indexed gateway, uint256 unlockAt);
    /// @notice `querier` took `amount` credits of its deposit for `gateway` back.
    event CreditsWithdrawn(address indexed querier, address indexed gateway, uint256 amount);
    /// @notice `spender` debited `amount` credits (`bought` of them bought) of `querier`'s deposit with voucher `nonce`.
    event CreditsSpent(
        address indexed querier, address indexed spender, uint256 indexed nonce, uint256 amount, uint256 bought
    );
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
    /// @notice No share units exist to take a purchase's dividends.
    error CreditsNoHolders();
    /// @notice `epoch` is not over yet: its dividends are not final.
    error CreditsEpochNotOver(uint256 epoch);
    /// @notice `epoch` has a snapshot, so its dividends are claimable and cannot be rolled over.
    error CreditsEpochHasSnapshot(uint256 epoch);
    /// @notice `account` has no dividends of `epoch` to claim.
    error CreditsNoDividends(address account, uint256 epoch);
    /// @notice The caller is neither the voucher's spender nor an authorized settler.
    error CreditsNotSpender(address caller);
    /// @notice The voucher's deadline has passed.
    error CreditsVoucherExpired(uint256 deadline);
    /// @notice The voucher's nonce was already used with this spender.
    error CreditsVoucherUsed(address querier, uint256 nonce);
    /// @notice `amount` is above the voucher's `maxCredits`.
    error CreditsVoucherExceeded(uint256 amount, uint256 maxCredits);
    /// @notice The signature is not the querier's signature of the voucher.
    error CreditsBadSignature();
    /// @notice The querier has `available` credits (in its balance or its deposit), fewer than `amount`.
    error CreditsInsufficient(address querier, uint256 available, uint256 amount);
    /// @notice The deposit cannot be withdrawn before `unlockAt` (0: no withdrawal was requested).
    error CreditsDepositLocked(uint256 unlockAt);

    /// @param token_ The token credits are bought with.
    /// @param shares_ The ownership shares: whose units claim credits and dividends.
    /// @param epochLength_ Seconds per epoch; epoch 0 starts at deployment.
    /// @param creditsPerEpoch_ Credits shared among all units each epoch.
    /// @param pricePerCredit_ Tokens per bought credit.
    /// @param withdrawalDelay_ Seconds from `requestWithdrawal` to `withdraw`; gateways accept
    /// requests that expire sooner.
    constructor(
        IERC20 token_,
        Shares shares_,
        uint256 epochLength_,
        uint256 creditsPerEpoch_,
        uint256 pricePerCredit_,
        uint256 withdrawalDelay_
    ) EIP712("ConcordAccessCredits", "1") Ownable(msg.sender) {
        if (epochLength_ == 0) revert CreditsInvalidParams("epochLength is zero");
        // Bought credits mint share units when spent: free credits would mint units for nothing.
        if (pricePerCredit_ == 0) revert CreditsInvalidParams("pricePerCredit is zero");
        if (withdrawalDelay_ == 0) revert CreditsInvalidParams("withdrawalDelay is zero");
        _token = token_;
        _shares = shares_;
        _genesis = block.timestamp;
        _epochLength = epochLength_;
        _creditsPerEpoch = creditsPerEpoch_;
        _pricePerCredit = pricePerCredit_;
        _withdrawalDelay = withdrawalDelay_;
    }

    /// @notice Fixes the current epoch's snapshot block, if not fixed yet, to the block before this
    /// call, and returns it. Every claim of the epoch, and the dividends of its purchases, use that
    /// block's share units, so units moved later neither claim twice nor take a purchase's
    /// dividends. Anyone (a keeper) may call it right at the epoch's start.
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

    /// @notice Claims the caller's granted credits for the current epoch:
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
        _balances[msg.sender].granted += credits;
        emit EpochCreditsClaimed(msg.sender, epoch, credits);
    }

    /// @notice Buys `amount` credits for `amount * pricePerCredit()` tokens, which become the
    /// dividends of the current epoch (of the next one when no units existed at this epoch's
    /// snapshot block), claimable with `claimDividends` once that epoch is over.
    /// Requirements:
    /// - `amount > 0`; share units exist; the caller approved this contract for the cost.
    function buyCredits(uint256 amount) external nonReentrant {
        if (amount == 0) revert CreditsZeroAmount();
        uint256 cost = amount * _pricePerCredit;
        uint256 epoch = _dividendEpoch();
        _balances[msg.sender].bought += amount;
        _dividends[epoch] += cost;
        emit CreditsBought(msg.sender, amount, cost, epoch);
        if (cost > 0) _token.safeTransferFrom(msg.sender, address(this), cost);
    }

    /// @notice Pays `amount` tokens of the caller to the share holders as dividends, exactly like
    /// the payment of a credit purchase (TaskMarket pays its protocol fee this way).
    /// Requirements:
    /// - `amount > 0`; share units exist; the caller approved this contract for `amount`.
    function payDividends(uint256 amount) external nonReentrant {
        if (amount == 0) revert CreditsZeroAmount();
        uint256 epoch = _dividendEpoch();
        _dividends[epoch] += amount;
        emit DividendsPaid(msg.sender, amount, epoch);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Moves the dividends of an ended `epoch` whose snapshot was never fixed (a payment
    /// deferred to it from an epoch without holders, and nobody touched the credits during it) to
    /// the holders of the epoch a payment made now would reach, so no payment is stranded.
    /// Requirements:
    /// - `epoch` is over, its snapshot was never fixed, and it holds dividends.
    function rollDividends(uint256 epoch) external returns (uint256 amount) {
        if (epoch >= currentEpoch()) revert CreditsEpochNotOver(epoch);
        if (_firstBlockOfEpoch[epoch] != 0) revert CreditsEpochHasSnapshot(epoch);
        amount = _dividends[epoch];
        if (amount == 0) revert CreditsNoDividends(msg.sender, epoch);
        _dividends[epoch] = 0;
        uint256 to = _dividendEpoch();
        _dividends[to] += amount;
        emit DividendsRolled(epoch, to, amount);
    }

    /// @notice Pays the caller its part of `epoch`'s dividends:
    /// `dividends(epoch) * unitsAt(caller, b) / totalUnitsAt(b)` with `b` the epoch's snapshot block.
    /// Requirements:
    /// - `epoch` is over; not claimed yet; the caller's part is not zero.
    function claimDividends(uint256 epoch) external nonReentrant returns (uint256 amount) {
        if (epoch >= currentEpoch()) revert CreditsEpochNotOver(epoch);
        if (_dividendsClaimed[msg.sender][epoch]) revert CreditsAlreadyClaimed(msg.sender, epoch);
        amount = dividendsOf(msg.sender, epoch);
        if (amount == 0) revert CreditsNoDividends(msg.sender, epoch);
        _dividendsClaimed[msg.sender][epoch] = true;
        emit DividendsClaimed(msg.sender, epoch, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @notice Locks `amount` of the caller's credits for `gateway` (granted credits first) and
    /// cancels any pending withdrawal of that deposit.
    /// Requirements:
    /// - `amount > 0`; the caller holds `amount` credits.
    function deposit(address gateway, uint256 amount) external {
        if (amount == 0) revert CreditsZeroAmount();
        Balance storage b = _balances[msg.sender];
        uint256 available = b.granted + b.bought;
        if (available < amount) revert CreditsInsufficient(msg.sender, available, amount);
        uint256 granted = amount < b.granted ? amount : b.granted;
        b.granted -= granted;
        b.bought -= amount - granted;
        Deposit storage d = _deposits[msg.sender][gateway];
        d.granted += granted;
        d.bought += amount - granted;
        d.unlockAt = 0;
        emit CreditsDeposited(msg.sender, gateway, amount);
    }

    /// @notice Starts the withdrawal delay of the caller's deposit for `gateway`; the gateway can
    /// still spend it until `withdraw`.
    /// Requirements: none.
    function requestWithdrawal(address gateway) external returns (uint256 unlockAt) {
        unlockAt = block.timestamp + _withdrawalDelay;
        _deposits[msg.sender][gateway].unlockAt = unlockAt;
        emit WithdrawalRequested(msg.sender, gateway, unlockAt);
    }

    /// @notice Returns the caller's whole deposit for `gateway` to its balance.
    /// Requirements:
    /// - a withdrawal was requested and its delay has passed.
    function withdraw(address gateway) external returns (uint256 amount) {
        Deposit memory d = _deposits[msg.sender][gateway];
        if (d.unlockAt == 0 || block.timestamp < d.unlockAt) revert CreditsDepositLocked(d.unlockAt);
        delete _deposits[msg.sender][gateway];
        Balance storage b = _balances[msg.sender];
        b.granted += d.granted;
        b.bought += d.bought;
        amount = d.granted + d.bought;
        emit CreditsWithdrawn(msg.sender, gateway, amount);
    }

    /// @notice Debits `amount` credits of `voucher.querier`'s deposit for `voucher.spender`
    /// (granted credits first), consuming the voucher's nonce for that spender. Returns how many
    /// of the debited credits were bought.
    /// Requirements:
    /// - the caller is `voucher.spender` or an authorized settler (which checks the spender itself);
    /// - `block.timestamp <= voucher.deadline`; the nonce is unused for this querier and spender;
    ///   `amount <= voucher.maxCredits`;
    /// - `signature` is the querier's EIP-712 signature of `voucher` for this chain and contract;
    /// - the deposit holds at least `amount` credits.
    function spend(Voucher calldata voucher, bytes calldata signature, uint256 amount)
        external
        returns (uint256 bought)
    {
        if (msg.sender != voucher.spender && !_settlers[msg.sender]) revert CreditsNotSpender(msg.sender);
        if (block.timestamp > voucher.deadline) revert CreditsVoucherExpired(voucher.deadline);
        mapping(uint256 => bool) storage used = _usedNonces[voucher.querier][voucher.spender];
        if (used[voucher.nonce]) revert CreditsVoucherUsed(voucher.querier, voucher.nonce);
        if (amount > voucher.maxCredits) revert CreditsVoucherExceeded(amount, voucher.maxCredits);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hashVoucher(voucher), signature);
        if (err != ECDSA.RecoverError.NoError || signer != voucher.querier) revert CreditsBadSignature();
        Deposit storage d = _deposits[voucher.querier][voucher.spender];
        uint256 available = d.granted + d.bought;
        if (available < amount) revert CreditsInsufficient(voucher.querier, available, amount);
        used[voucher.nonce] = true;
        uint256 granted = amount < d.granted ? amount : d.granted;
        bought = amount - granted;
        d.granted -= granted;
        d.bought -= bought;
        emit CreditsSpent(voucher.querier, voucher.spender, voucher.nonce, amount, bought);
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

    /// @notice The credits `account` holds outside deposits (granted plus bought).
    function creditsOf(address account) external view returns (uint256) {
        Balance memory b = _balances[account];
        return b.granted + b.bought;
    }

    /// @notice The credits `account` holds outside deposits, by kind.
    function balanceOf(address account) external view returns (Balance memory) {
        return _balances[account];
    }

    /// @notice The credits `querier` locked for `gateway`.
    function depositOf(address querier, address gateway) external view returns (Deposit memory) {
        return _deposits[querier][gateway];
    }

    /// @notice The tokens paid for credits in `epoch` (its dividends so far).
    function dividendsIn(uint256 epoch) external view returns (uint256) {
        return _dividends[epoch];
    }

    /// @notice `account`'s part of `epoch`'s dividends (0 once claimed, or before the snapshot).
    function dividendsOf(address account, uint256 epoch) public view returns (uint256) {
        uint256 first = _firstBlockOfEpoch[epoch];
        if (first == 0 || first >= block.number || _dividendsClaimed[account][epoch]) return 0;
        uint256 total = _shares.totalUnitsAt(first - 1);
        return total == 0 ? 0 : _dividends[epoch] * _shares.unitsAt(account, first - 1) / total;
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

    /// @notice Whether `querier` used voucher `nonce` with `spender`.
    function isNonceUsed(address querier, address spender, uint256 nonce) external view returns (bool) {
        return _usedNonces[querier][spender][nonce];
    }

    /// @notice Whether `account` may spend vouchers on behalf of their spender.
    function isSettler(address account) external view returns (bool) {
        return _settlers[account];
    }

    /// @notice The immutable parameters: token, shares, genesis time, epoch length, credits per
    /// epoch, price, withdrawal delay.
    function config()
        external
        view
        returns (
            IERC20 token,
            Shares shares,
            uint256 genesis,
            uint256 epochLength,
            uint256 creditsPerEpoch,
            uint256 pricePerCredit,
            uint256 withdrawalDelay
        )
    {
        return (_token, _shares, _genesis, _epochLength, _creditsPerEpoch, _pricePerCredit, _withdrawalDelay);
    }

    /// @dev The epoch whose holders receive a payment made now: the current one, or the next when
    /// no units existed at this epoch's snapshot block (units are never burnt, so the next
    /// epoch's snapshot has holders).
    function _dividendEpoch() private returns (uint256 epoch) {
        epoch = currentEpoch();
        if (_shares.totalUnitsAt(snapshotEpoch()) == 0) {
            if (_shares.totalUnits() == 0) revert CreditsNoHolders();
            ++epoch;
        }
    }
}
