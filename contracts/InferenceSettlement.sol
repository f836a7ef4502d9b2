// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {AccessCredits} from "./AccessCredits.sol";
import {ModelRegistry} from "./ModelRegistry.sol";
import {NodeRegistry} from "./NodeRegistry.sol";
import {Shares} from "./Shares.sol";

/// @title InferenceSettlement
/// @notice Settles distributed-inference sessions. A querier signs one AccessCredits voucher for
/// the gateway whose nonce is the session id: the EIP-712 struct hash of its `Request` (model,
/// version, price per token, credit cap, nonce, deadline), so the signature binds all of them and
/// there is one voucher concept. At the end of the session the gateway (a registered, active
/// node) settles its receipt: `tokens * creditsPerToken` credits are debited from the querier's
/// deposit for the gateway, and `unitsPerCredit` ownership units per *bought* credit debited are
/// split among the hosts in proportion to their wins (each host's wins on a shard at most the
/// session's tokens; only active nodes earn), so a free or granted-credit session mints nothing
/// and no session mints more than its payment buys. The Merkle root of the session's signed
/// votes is recorded. A host whose signed output for an input is contradicted by the signatures
/// of a strict stake-majority of its shard's hosts for the same input is slashed through the
/// NodeRegistry; the slashed tokens stay locked in this contract, so nobody (reporter, gateway or
/// majority) profits from a slash.
/// @dev Must be a settler of AccessCredits, a minter of Shares and a slasher of NodeRegistry.
/// A host signs its answers in batches (one response, or all answers of one token) with one
/// EIP-712 signature over `PartialProducts(session, items)`, each item
/// `(step, layer, matrix, shard, input, digest)` (`input` the digest of the activations it was
/// given, `digest` that of its output rows), in this contract's domain: name = the protocol id
/// `/concord/infer/1.0.0`, version "1", chain id, this address. `step` numbers the matrix products
/// of the session, so every host asked for the same product signs the same `(step, layer, matrix, shard)`.
/// Matrices are named by strings (`attn.c_attn`); on chain they travel as `keccak256(name)`, which
/// is what EIP-712 hashes a string to.
contract InferenceSettlement is EIP712, ReentrancyGuard {
    /// @notice What a querier asks a gateway for; its struct hash is the session id.
    struct Request {
        address querier;
        address gateway;
        uint256 modelId;
        uint256 versionIndex;
        uint256 creditsPerToken;
        uint256 maxCredits;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice One host's record for one matrix shard over a whole session (`matrix` = keccak256(name)).
    struct HostResult {
        int32 layer;
        bytes32 matrix;
        uint32 shard;
        address host;
        uint32 wins;
        uint32 losses;
    }

    /// @notice A gateway's account of a session. `results` are sorted strictly ascending by
    /// `(layer, matrix, shard, host)` (layer signed, matrix and host as unsigned numbers), so each
    /// host appears once per shard.
    struct Receipt {
        Request request;
        uint256 tokens;
        bytes32 votesRoot;
        HostResult[] results;
    }

    /// @notice One partial product in a host's answer (`matrix` = keccak256 of the matrix name).
    struct Item {
        uint64 step;
        int32 layer;
        bytes32 matrix;
        uint32 shard;
        bytes32 input;
        bytes32 digest;
    }

    /// @notice A host's signed batch of answers in a session; `index` picks the item in question.
    struct Statement {
        address host;
        Item[] items;
        uint256 index;
        bytes signature;
    }

    /// @notice Proof that `accused` signed a digest for a partial product while `majority` (hosts
    /// of the same shard, sorted strictly ascending, the accused not among them) signed another
    /// for the same input.
    struct Evidence {
        bytes32 session;
        Statement accused;
        Statement[] majority;
    }

    /// @notice What is kept of a settled session.
    struct Session {
        address querier;
        uint64 settledBlock;
        bytes32 votesRoot;
        bytes32 resultsHash;
    }

    /// @notice EIP-712 type hash of `Request`; `sessionIdOf(request)` is its struct hash.
    bytes32 public constant REQUEST_TYPEHASH = keccak256(
        "Request(address querier,address gateway,uint256 modelId,uint256 versionIndex,uint256 creditsPerToken,uint256 maxCredits,uint256 nonce,uint256 deadline)"
    );
    /// @notice EIP-712 type hash of a host's signed answer.
    bytes32 public constant PARTIAL_PRODUCTS_TYPEHASH = keccak256(
        "PartialProducts(bytes32 session,Item[] items)Item(uint64 step,int32 layer,string matrix,uint32 shard,bytes32 input,bytes32 digest)"
    );
    /// @notice EIP-712 type hash of one item of an answer.
    bytes32 public constant ITEM_TYPEHASH =     keccak256("Item(uint64 step,int32 layer,string matrix,uint32 shard,bytes32 input,bytes32 digest)");
    AccessCredits private immutable _credits;
    Shares private immutable _shares;
    NodeRegistry private immutable _registry;
    ModelRegistry private immutable _models;
    IERC20 private immutable _token;
    uint256 private immutable _unitsPerCredit;
    uint256 private immutable _slashAmount;

    mapping(bytes32 session => Session) private _sessions;
    mapping(bytes32 session => mapping(address host => bool)) private _slashed;

    /// @notice The gateway settled `session`: `credits` debited from `querier` (`bought` of them
    /// bought), `tokens` generated, `units` share units minted to the hosts; `getSession` has the
    /// hash of its results.
    event SessionSettled(
        bytes32 indexed session,
        address indexed querier,
        address indexed gateway,
        uint256 modelId,
        uint256 versionIndex,
        uint256 tokens,
        uint256 credits,
        uint256 bought,
        uint256 units,
        bytes32 votesRoot
    );
    /// @notice `host` was slashed `amount` (locked here) for signing a digest its shard's majority
    /// contradicts for the same input.
    event EquivocationSlashed(
        bytes32 indexed session, address indexed host, address indexed reporter, uint256 amount, uint64 step
    );

    /// @notice A constructor parameter is invalid; `reason` names it.
    error SettlementInvalidParams(string reason);
    /// @notice `session` was settled before.
    error SettlementSessionAlreadySettled(bytes32 session);
    /// @notice Only the request's gateway may settle it.
    error SettlementNotGateway(address caller, address gateway);
    /// @notice `account` (the gateway) is not an active node of the registry.
    error SettlementNotActiveNode(address account);
    /// @notice The receipt is malformed; `reason` says how.
    error SettlementInvalidReceipt(string reason);
    /// @notice No settled session has this id.
    error SettlementSessionUnknown(bytes32 session);
    /// @notice The results given do not hash to the settled session's `resultsHash`.
    error SettlementResultsMismatch(bytes32 session);
    /// @notice The evidence is malformed; `reason` says how.
    error SettlementInvalidEvidence(string reason);
    /// @notice `account` did not serve the shard in the session.
    error SettlementNotShardHost(address account);
    /// @notice A signature is not `account`'s signature of the claimed vote.
    error SettlementBadSignature(address account);
    /// @notice The signers hold `support` of the shard hosts' `total` stake: not more than half.
    error SettlementNoMajority(uint256 support, uint256 total);
    /// @notice `host` was already slashed for `session`.
    error SettlementAlreadySlashed(bytes32 session, address host);
    /// @notice `host` has no slashable stake left.
    error SettlementNothingToSlash(address host);

    /// @param credits_ Where querier credits are debited (this contract must be a settler there).
    /// @param shares_ Where shard ownership is minted (this contract must be a minter there).
    /// @param registry_ Stakes and slashing (this contract must be a slasher there).
    /// @param models_ The model versions whose digests name the shard artifacts.
    /// @param unitsPerCredit_ Share units minted per bought credit a session debits.
    /// @param slashAmount_ Stake taken from a host proven wrong (at most its slashable stake).
    constructor(
        AccessCredits credits_,
        Shares shares_,
        NodeRegistry registry_,
        ModelRegistry models_,
        uint256 unitsPerCredit_,
        uint256 slashAmount_
    ) EIP712("/concord/infer/1.0.0", "1") {
        if (unitsPerCredit_ == 0) revert SettlementInvalidParams("unitsPerCredit is zero");
        _credits = credits_;
        _shares = shares_;
        _registry = registry_;
        _models = models_;
        _token = registry_.token();
        _unitsPerCredit = unitsPerCredit_;
        _slashAmount = slashAmount_;
    }

    /// @notice Settles a session: debits `tokens * creditsPerToken` credits from the querier's
    /// deposit for the gateway with its voucher, mints `bought * unitsPerCredit` share units
    /// (`bought` the bought part of the debit) split among the results in proportion to their
    /// wins (rounded down), each to its host as units of its shard if the host is an active
    /// node, and records the votes' Merkle root. Returns the session id and the credits debited.
    /// Requirements:
    /// - the caller is `receipt.request.gateway` and an active node; the session was not settled before;
    /// - `results` sorted strictly ascending by `(layer, matrix, shard, host)`, no zero host, no
    ///   `wins` above `tokens` (a host that is not an active node earns nothing);
    /// - the model version exists; `querierSig` is the querier's AccessCredits signature of
    ///   `voucherOf(request)`, unexpired, within `maxCredits`, and the deposit holds the credits.
    function settleSession(Receipt calldata receipt, bytes calldata querierSig)
        external
        nonReentrant
        returns (bytes32 session, uint256 debited)
    {
        Request calldata request = receipt.request;
        if (msg.sender != request.gateway) revert SettlementNotGateway(msg.sender, request.gateway);
        if (!_registry.isActive(msg.sender)) revert SettlementNotActiveNode(msg.sender);
        session = sessionIdOf(request);
        if (_sessions[session].settledBlock != 0) revert SettlementSessionAlreadySettled(session);
        uint256 totalWins = _checkResults(receipt.results, receipt.tokens);
        bytes32 modelDigest = _models.versionAt(request.modelId, request.versionIndex).digest;
        debited = receipt.tokens * request.creditsPerToken;
        _sessions[session] = Session({
            querier: request.querier,
            settledBlock: uint64(block.number),
            votesRoot: receipt.votesRoot,
            resultsHash: keccak256(abi.encode(receipt.results))
        });
        uint256 bought = _credits.spend(voucherOf(request), querierSig, debited);
        uint256 minted = totalWins == 0 ? 0 : _mintPool(receipt.results, modelDigest, bought * _unitsPerCredit, totalWins);
        _emitSettled(session, receipt, debited, bought, minted);
    }

    /// @notice Slashes the accused host by `slashAmount()` for a partial product of a settled
    /// session: its signed answers give one output digest for the item `(step, layer, matrix,
    /// shard, input)`, while the majority's signed answers give another for the same item and the
    /// same input, and the majority holds strictly more than half of the stake of all the shard's
    /// hosts in the session (the accused included; stakes at the block before settlement). The
    /// slashed tokens stay locked in this contract: neither the caller nor the majority gains from
    /// a slash, so feeding a host or leaving hosts out of `results` buys nothing. Returns the
    /// amount slashed.
    /// Requirements:
    /// - the session was settled and `results` are exactly its receipt's results;
    /// - every statement's `index` is in range and picks the same `(step, layer, matrix, shard,
    ///   input)`; the majority agrees on one digest, other than the accused's;
    /// - majority hosts sorted strictly ascending, the accused not among them; all served the shard;
    /// - every signature is its host's signature of its statement; the majority's stake is > half;
    /// - the accused was not slashed for this session before and still has slashable stake.
    function slashEquivocation(Evidence calldata evidence, HostResult[] calldata results)
        external
        nonReentrant
        returns (uint256 slashed)
    {
        Session storage s = _sessions[evidence.session];
        Statement calldata accused = evidence.accused;
        if (s.settledBlock == 0) revert SettlementSessionUnknown(evidence.session);
        if (keccak256(abi.encode(results)) != s.resultsHash) revert SettlementResultsMismatch(evidence.session);
        if (_slashed[evidence.session][accused.host]) revert SettlementAlreadySlashed(evidence.session, accused.host);
        Item calldata bad = _checkStatement(evidence.session, accused);
        Statement[] calldata majority = evidence.majority;
        if (majority.length == 0) revert SettlementInvalidEvidence("no majority statements");
        bytes32 good = majority[0].items[_inRange(majority[0])].digest;
        if (good == bad.digest) revert SettlementInvalidEvidence("digests are equal");
        for (uint256 i; i < majority.length; ++i) {
            Statement calldata m = majority[i];
            if (i > 0 && m.host <= majority[i - 1].host) revert SettlementInvalidEvidence("majority not sorted");
            if (m.host == accused.host) revert SettlementInvalidEvidence("accused in the majority");
            Item calldata item = _checkStatement(evidence.session, m);
            if (
                item.step != bad.step || item.layer != bad.layer || item.matrix != bad.matrix
                    || item.shard != bad.shard || item.input != bad.input
            ) revert SettlementInvalidEvidence("statements about different partial products or inputs");
            if (item.digest != good) revert SettlementInvalidEvidence("majority digests differ");
        }
        (uint256 support, uint256 total) = _tallyShard(bad, accused.host, majority, results, s.settledBlock - 1);
        if (support * 2 <= total) revert SettlementNoMajority(support, total);
        _slashed[evidence.session][accused.host] = true;
        slashed = _registry.slash(accused.host, _slashAmount, address(this));
        if (slashed == 0) revert SettlementNothingToSlash(accused.host);
        emit EquivocationSlashed(evidence.session, accused.host, msg.sender, slashed, bad.step);
    }

    /// @notice The session id of `request`: its EIP-712 struct hash.
    function sessionIdOf(Request calldata request) public pure returns (bytes32) {
        return keccak256(
            abi.encode(
                REQUEST_TYPEHASH,
                request.querier,
                request.gateway,
                request.modelId,
                request.versionIndex,
                request.creditsPerToken,
                request.maxCredits,
                request.nonce,
                request.deadline
            )
        );
    }

    /// @notice The AccessCredits voucher a querier signs for `request`: spender = gateway,
    /// nonce = the session id.
    function voucherOf(Request calldata request) public pure returns (AccessCredits.Voucher memory) {
        return AccessCredits.Voucher({
            querier: request.querier,
            spender: request.gateway,
            maxCredits: request.maxCredits,
            nonce: uint256(sessionIdOf(request)),
            deadline: request.deadline
        });
    }

    /// @notice The ERC-1155 id of a row shard of a model version's weight matrix (`matrix` = keccak256(name)).
    function shardArtifactId(bytes32 modelDigest, int32 layer, bytes32 matrix, uint32 shard)
        public
        pure
        returns (uint256)
    {
        return uint256(keccak256(abi.encode("concord.shard", modelDigest, layer, matrix, shard)));
    }

    /// @notice The EIP-712 digest a host signs for its answers `items` in `session`.
    function hashStatement(bytes32 session, Item[] calldata items) public view returns (bytes32) {
        bytes32[] memory itemHashes = new bytes32[](items.length);
        for (uint256 i; i < items.length; ++i) {
            Item calldata it = items[i];
            itemHashes[i] =
                keccak256(abi.encode(ITEM_TYPEHASH, it.step, it.layer, it.matrix, it.shard, it.input, it.digest));
        }
        return _hashTypedDataV4(
            keccak256(
                abi.encode(PARTIAL_PRODUCTS_TYPEHASH, session, keccak256(abi.encodePacked(itemHashes)))
            )
        );
    }

    /// @notice The Merkle leaf of a signed answer: `keccak256(bytes.concat(keccak256(abi.encode(host,
    /// hashStatement(session, items), keccak256(signature)))))`.
    function statementLeaf(bytes32 session, Statement calldata statement) public view returns (bytes32) {
        bytes32 digest = hashStatement(session, statement.items);
        return keccak256(bytes.concat(keccak256(abi.encode(statement.host, digest, keccak256(statement.signature)))));
    }

    /// @notice Whether `statement` is among the signed answers the settled receipt of `session`
    /// committed to (sorted-pair keccak Merkle tree, OZ `MerkleProof`).
    function isStatementRecorded(bytes32 session, Statement calldata statement, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = _sessions[session].votesRoot;
        return root != bytes32(0) && MerkleProof.verifyCalldata(proof, root, statementLeaf(session, statement));
    }

    /// @notice The settled session `session` (`settledBlock == 0` if none).
    function getSession(bytes32 session) external view returns (Session memory) {
        return _sessions[session];
    }

    /// @notice Whether `host` was slashed for `session`.
    function isSlashed(bytes32 session, address host) external view returns (bool) {
        return _slashed[session][host];
    }

    /// @notice The contracts and parameters: credits, shares, registry, models, token, units per
    /// bought credit, slash amount.
    function config()
        external
        view
        returns (
            AccessCredits credits,
            Shares shares,
            NodeRegistry registry,
            ModelRegistry models,
            IERC20 token,
            uint256 unitsPerCredit,
            uint256 slashAmount
        )
    {
        return (_credits, _shares, _registry, _models, _token, _unitsPerCredit, _slashAmount);
    }

    /// @dev Checks `statement`'s signature and returns the item its `index` picks.
    function _checkStatement(bytes32 session, Statement calldata statement) private view returns (Item calldata) {
        uint256 index = _inRange(statement);
        bytes32 hash = hashStatement(session, statement.items);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, statement.signature);
        if (err != ECDSA.RecoverError.NoError || recovered != statement.host) {
            revert SettlementBadSignature(statement.host);
        }
        return statement.items[index];
    }

    function _inRange(Statement calldata statement) private pure returns (uint256) {
        if (statement.index >= statement.items.length) revert SettlementInvalidEvidence("item index out of range");
        return statement.index;
    }

    /// @dev Walks the shard's hosts (ascending within the sorted results) alongside the sorted
    /// majority: `support` is the majority's stake, `total` all the shard's hosts' stake.
    function _tallyShard(
        Item calldata key,
        address accused,
        Statement[] calldata majority,
        HostResult[] calldata results,
        uint256 atBlock
    ) private view returns (uint256 support, uint256 total) {
        uint256 j;
        bool accusedServed;
        for (uint256 i; i < results.length; ++i) {
            HostResult calldata r = results[i];
            if (r.layer != key.layer || r.matrix != key.matrix || r.shard != key.shard) continue;
            uint256 stake = _registry.stakeAt(r.host, atBlock);
            total += stake;
            if (r.host == accused) accusedServed = true;
            if (j < majority.length && majority[j].host < r.host) revert SettlementNotShardHost(majority[j].host);
            if (j < majority.length && majority[j].host == r.host) {
                support += stake;
                ++j;
            }
        }
        if (j < majority.length) revert SettlementNotShardHost(majority[j].host);
        if (!accusedServed) revert SettlementNotShardHost(accused);
    }

    /// @dev Emits SessionSettled (its own frame keeps settleSession's stack shallow).
    function _emitSettled(bytes32 session, Receipt calldata receipt, uint256 debited, uint256 bought, uint256 minted)
        private
    {
        Request calldata request = receipt.request;
        emit SessionSettled(
            session,
            request.querier,
            request.gateway,
            request.modelId,
            request.versionIndex,
            receipt.tokens,
            debited,
            bought,
            minted,
            receipt.votesRoot
        );
    }

    /// @dev Mints `pool` units split among `results` by wins (rounded down), skipping hosts that
    /// are not active nodes (their part is not minted); returns the units minted.
    function _mintPool(HostResult[] calldata results, bytes32 modelDigest, uint256 pool, uint256 totalWins)
        private
        returns (uint256 minted)
    {
        for (uint256 i; i < results.length; ++i) {
            HostResult calldata r = results[i];
            uint256 units = pool * r.wins / totalWins;
            if (units == 0 || !_registry.isActive(r.host)) continue;
            minted += units;
            _shares.mint(r.host, shardArtifactId(modelDigest, r.layer, r.matrix, r.shard), units);
        }
    }

    /// @dev Checks the results' order, hosts and win bounds; returns the sum of their wins.
    function _checkResults(HostResult[] calldata results, uint256 tokens) private view returns (uint256 totalWins) {
        for (uint256 i; i < results.length; ++i) {
            HostResult calldata r = results[i];
            if (r.host == address(0)) revert SettlementInvalidReceipt("zero host");
            if (i > 0 && !_before(results[i - 1], r)) {
                revert SettlementInvalidReceipt("results not sorted by (layer, matrix, shard, host)");
            }
            if (r.wins == 0) continue;
            if (r.wins > tokens) revert SettlementInvalidReceipt("wins above tokens");
            totalWins += r.wins;
        }
    }

    function _before(HostResult calldata a, HostResult calldata b) private pure returns (bool) {
        if (a.layer != b.layer) return a.layer < b.layer;
        if (a.matrix != b.matrix) return a.matrix < b.matrix;
        if (a.shard != b.shard) return a.shard < b.shard;
        return a.host < b.host;
    }
}
