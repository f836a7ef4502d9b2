// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
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
/// there is one voucher concept. At the end of the session the gateway settles its receipt:
/// the querier's credits are debited (`tokens * creditsPerToken`), every host earns
/// `unitsPerWin` ownership units of each matrix shard per partial product it won, and the Merkle
/// root of the session's signed votes is recorded. A host whose signed partial product is
/// contradicted by the signatures of a strict stake-majority of its shard's hosts is slashed
/// through the NodeRegistry; the slashed tokens go to the reporter and those hosts.
/// @dev Must be a settler of AccessCredits, a minter of Shares and a slasher of NodeRegistry.
/// A host signs its answers in batches (one response, or all answers of one token) with one
/// EIP-712 signature over `PartialProducts(session, items)`, each item
/// `(step, layer, matrix, shard, digest)`, in this contract's domain: name = the protocol id
/// `/concord/infer/1.0.0`, version "1", chain id, this address. `step` numbers the matrix products
/// of the session, so every host asked for the same product signs the same `(step, layer, matrix, shard)`.
/// Matrices are named by strings (`attn.c_attn`); on chain they travel as `keccak256(name)`, which
/// is what EIP-712 hashes a string to.
contract InferenceSettlement is EIP712, ReentrancyGuard {
    using SafeERC20 for IERC20;

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
    /// of the same shard, sorted strictly ascending, the accused not among them) signed another.
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
        "PartialProducts(bytes32 session,Item[] items)Item(uint64 step,int32 layer,string matrix,uint32 shard,bytes32 digest)"
    );
    /// @notice EIP-712 type hash of one item of an answer.
    bytes32 public constant ITEM_TYPEHASH = keccak256("Item(uint64 step,int32 layer,string matrix,uint32 shard,bytes32 digest)");
    /// @dev Basis points in one whole.
    uint256 private constant BPS = 10_000;

    AccessCredits private immutable _credits;
    Shares private immutable _shares;
    NodeRegistry private immutable _registry;
    ModelRegistry private immutable _models;
    IERC20 private immutable _token;
    uint256 private immutable _unitsPerWin;
    uint256 private immutable _slashAmount;
    uint256 private immutable _reporterBps;

    mapping(bytes32 session => Session) private _sessions;
    mapping(bytes32 session => mapping(address host => bool)) private _slashed;

    /// @notice The gateway settled `session`: `credits` debited from `querier`, `tokens` generated.
    event SessionSettled(
        bytes32 indexed session,
        address indexed querier,
        address indexed gateway,
        uint256 modelId,
        uint256 versionIndex,
        uint256 tokens,
        uint256 credits,
        bytes32 votesRoot,
        bytes32 resultsHash
    );
    /// @notice `host` was slashed `amount` for signing a digest its shard's majority contradicts.
    event EquivocationSlashed(
        bytes32 indexed session, address indexed host, address indexed reporter, uint256 amount, uint64 step
    );

    /// @notice A constructor parameter is invalid; `reason` names it.
    error SettlementInvalidParams(string reason);
    /// @notice `session` was settled before.
    error SettlementSessionAlreadySettled(bytes32 session);
    /// @notice Only the request's gateway may settle it.
    error SettlementNotGateway(address caller, address gateway);
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
    /// @param unitsPerWin_ Share units a host earns per partial product it won.
    /// @param slashAmount_ Stake taken from a host proven wrong (at most its slashable stake).
    /// @param reporterBps_ The reporter's part of a slash in basis points; the signers share the rest.
    constructor(
        AccessCredits credits_,
        Shares shares_,
        NodeRegistry registry_,
        ModelRegistry models_,
        uint256 unitsPerWin_,
        uint256 slashAmount_,
        uint256 reporterBps_
    ) EIP712("/concord/infer/1.0.0", "1") {
        if (unitsPerWin_ == 0) revert SettlementInvalidParams("unitsPerWin is zero");
        if (reporterBps_ > BPS) revert SettlementInvalidParams("reporterBps above 10000");
        _credits = credits_;
        _shares = shares_;
        _registry = registry_;
        _models = models_;
        _token = registry_.token();
        _unitsPerWin = unitsPerWin_;
        _slashAmount = slashAmount_;
        _reporterBps = reporterBps_;
    }

    /// @notice Settles a session: debits `tokens * creditsPerToken` credits from the querier with
    /// its voucher, mints each host `wins * unitsPerWin` units of every shard it won, and records
    /// the votes' Merkle root. Returns the session id and the credits debited.
    /// Requirements:
    /// - the caller is `receipt.request.gateway`; the session was not settled before;
    /// - `results` sorted strictly ascending by `(layer, matrix, shard, host)`, no zero host;
    /// - the model version exists; `querierSig` is the querier's AccessCredits signature of
    ///   `voucherOf(request)`, unexpired, within `maxCredits`, and the querier has the credits.
    function settleSession(Receipt calldata receipt, bytes calldata querierSig)
        external
        nonReentrant
        returns (bytes32 session, uint256 debited)
    {
        Request calldata request = receipt.request;
        if (msg.sender != request.gateway) revert SettlementNotGateway(msg.sender, request.gateway);
        session = sessionIdOf(request);
        if (_sessions[session].settledBlock != 0) revert SettlementSessionAlreadySettled(session);
        _checkSorted(receipt.results);
        bytes32 modelDigest = _models.versionAt(request.modelId, request.versionIndex).digest;
        debited = receipt.tokens * request.creditsPerToken;
        bytes32 resultsHash = keccak256(abi.encode(receipt.results));
        _sessions[session] = Session({
            querier: request.querier,
            settledBlock: uint64(block.number),
            votesRoot: receipt.votesRoot,
            resultsHash: resultsHash
        });
        emit SessionSettled(
            session,
            request.querier,
            request.gateway,
            request.modelId,
            request.versionIndex,
            receipt.tokens,
            debited,
            receipt.votesRoot,
            resultsHash
        );
        _credits.spend(voucherOf(request), querierSig, debited);
        for (uint256 i; i < receipt.results.length; ++i) {
            HostResult calldata r = receipt.results[i];
            if (r.wins == 0) continue;
            _shares.mint(r.host, shardArtifactId(modelDigest, r.layer, r.matrix, r.shard), r.wins * _unitsPerWin);
        }
    }

    /// @notice Slashes the accused host by `slashAmount()` for a partial product of a settled
    /// session: its signed answers give one digest for the item `(step, layer, matrix, shard)`,
    /// while the majority's signed answers give another for the same item, and the majority holds
    /// strictly more than half of the stake of all the shard's hosts in the session (the accused
    /// included; stakes at the block before settlement). The reporter (the caller) gets
    /// `reporterBps` of the slashed tokens plus the rounding remainder; each majority host an equal
    /// part of the rest. Returns the amount slashed.
    /// Requirements:
    /// - the session was settled and `results` are exactly its receipt's results;
    /// - every statement's `index` is in range and picks the same `(step, layer, matrix, shard)`;
    ///   the majority agrees on one digest, other than the accused's;
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
            if (item.step != bad.step || item.layer != bad.layer || item.matrix != bad.matrix || item.shard != bad.shard) {
                revert SettlementInvalidEvidence("statements about different partial products");
            }
            if (item.digest != good) revert SettlementInvalidEvidence("majority digests differ");
        }
        (uint256 support, uint256 total) = _tallyShard(bad, accused.host, majority, results, s.settledBlock - 1);
        if (support * 2 <= total) revert SettlementNoMajority(support, total);
        _slashed[evidence.session][accused.host] = true;
        slashed = _registry.slash(accused.host, _slashAmount, address(this));
        if (slashed == 0) revert SettlementNothingToSlash(accused.host);
        emit EquivocationSlashed(evidence.session, accused.host, msg.sender, slashed, bad.step);
        uint256 each = (slashed - slashed * _reporterBps / BPS) / majority.length;
        if (each > 0) {
            for (uint256 i; i < majority.length; ++i) {
                _token.safeTransfer(majority[i].host, each);
            }
        }
        _token.safeTransfer(msg.sender, slashed - each * majority.length);
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
            itemHashes[i] = keccak256(abi.encode(ITEM_TYPEHASH, it.step, it.layer, it.matrix, it.shard, it.digest));
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
    /// win, slash amount, reporter basis points.
    function config()
        external
        view
        returns (
            AccessCredits credits,
            Shares shares,
            NodeRegistry registry,
            ModelRegistry models,
            IERC20 token,
            uint256 unitsPerWin,
            uint256 slashAmount,
            uint256 reporterBps
        )
    {
        return (_credits, _shares, _registry, _models, _token, _unitsPerWin, _slashAmount, _reporterBps);
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

    function _checkSorted(HostResult[] calldata results) private pure {
        for (uint256 i; i < results.length; ++i) {
            HostResult calldata r = results[i];
            if (r.host == address(0)) revert SettlementInvalidReceipt("zero host");
            if (i > 0 && !_before(results[i - 1], r)) {
                revert SettlementInvalidReceipt("results not sorted by (layer, matrix, shard, host)");
            }
        }
    }

    function _before(HostResult calldata a, HostResult calldata b) private pure returns (bool) {
        if (a.layer != b.layer) return a.layer < b.layer;
        if (a.matrix != b.matrix) return a.matrix < b.matrix;
        if (a.shard != b.shard) return a.shard < b.shard;
        return a.host < b.host;
    }
}
