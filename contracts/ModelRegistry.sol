// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskMarket} from "./TaskMarket.sol";

/// @title ModelRegistry
/// @notice Names models and records their versions. Version 0 is the genesis digest; every later
/// version is the winning result of an `aggregate` task whose inputs are exactly the winners of
/// one finished training round (the task's pool), so no single node decides the model. The round
/// must be a pool of the model's owner (`TaskMarket.poolOwnerOf`): only the owner and the accounts
/// it allows add tasks to it, so nobody else can block, poison or claim the owner's rounds.
contract ModelRegistry {
    /// @notice One version of a model: its digest and the aggregate task that produced it (0 for genesis).
    struct Version {
        bytes32 digest;
        uint256 taskId;
    }

    /// @notice A model: name, owner (creator; the only account that publishes versions) and versions.
    struct Model {
        string name;
        address owner;
        Version[] versions;
    }

    TaskMarket private immutable _market;
    uint256 private _modelCount;
    mapping(uint256 modelId => Model) private _models;
    mapping(uint256 modelId => mapping(uint256 taskId => bool)) private _published;

    /// @notice `owner` created model `modelId` named `name` starting from `genesisDigest`.
    event ModelCreated(uint256 indexed modelId, address indexed owner, string name, bytes32 genesisDigest);
    /// @notice Model `modelId` got version `index` with `digest`, produced by aggregate task `taskId`.
    event VersionPublished(uint256 indexed modelId, uint256 indexed index, bytes32 digest, uint256 taskId);

    /// @notice No model has this id.
    error ModelNotFound(uint256 modelId);
    /// @notice The name is empty.
    error ModelEmptyName();
    /// @notice The genesis digest is zero.
    error ModelZeroGenesis();
    /// @notice Only the model's owner may publish versions.
    error ModelNotOwner(uint256 modelId, address caller);
    /// @notice The task is not an aggregate task.
    error ModelNotAggregateTask(uint256 taskId);
    /// @notice The aggregate task did not settle with a winner.
    error ModelTaskNotFinalized(uint256 taskId);
    /// @notice The round (pool) still has `openTasks` unsettled tasks, or none at all.
    error ModelRoundNotFinalized(bytes32 pool, uint256 openTasks);
    /// @notice The round `pool` belongs to `poolOwner`, not to the model's owner.
    error ModelPoolNotOwned(bytes32 pool, address poolOwner);
    /// @notice The aggregate task's inputsRoot is not the round's winners.
    error ModelInputsMismatch(bytes32 expected, bytes32 actual);
    /// @notice The task is already a version of model `modelId`.
    error ModelTaskAlreadyPublished(uint256 taskId, uint256 modelId);
    /// @notice The model has no version at `index`.
    error ModelVersionNotFound(uint256 modelId, uint256 index);

    /// @param market_ The task market whose aggregate tasks produce versions.
    constructor(TaskMarket market_) {
        _market = market_;
    }

    /// @notice Creates a model owned by the caller whose version 0 is `genesisDigest`; ids start at 1.
    /// Requirements:
    /// - `name` is non-empty and `genesisDigest` non-zero.
    function createModel(string calldata name, bytes32 genesisDigest) external returns (uint256 modelId) {
        if (bytes(name).length == 0) revert ModelEmptyName();
        if (genesisDigest == bytes32(0)) revert ModelZeroGenesis();
        modelId = ++_modelCount;
        Model storage model = _models[modelId];
        model.name = name;
        model.owner = msg.sender;
        model.versions.push(Version(genesisDigest, 0));
        emit ModelCreated(modelId, msg.sender, name, genesisDigest);
    }

    /// @notice Publishes the winner of `aggregateTaskId` as the next version of `modelId`.
    /// Requirements:
    /// - the model exists and the caller owns it;
    /// - the task's kind is `keccak256("aggregate")` and it settled with a winner;
    /// - its pool (the round) is owned by the model's owner (`ModelPoolNotOwned`);
    /// - every task of the pool is settled, and there is at least one;
    /// - its `inputsRoot` equals `keccak256(abi.encode(poolWinners(pool)))`;
    /// - the task was not published in this model before.
    function publishVersion(uint256 modelId, uint256 aggregateTaskId) external returns (uint256 index) {
        Model storage model = _model(modelId);
        if (msg.sender != model.owner) revert ModelNotOwner(modelId, msg.sender);
        TaskMarket.Task memory task = _market.getTask(aggregateTaskId);
        if (task.params.kind != _market.AGGREGATE_KIND()) revert ModelNotAggregateTask(aggregateTaskId);
        if (task.status != TaskMarket.TaskStatus.Finalized) revert ModelTaskNotFinalized(aggregateTaskId);
        bytes32 pool = task.params.pool;
        address poolOwner = _market.poolOwnerOf(pool);
        if (poolOwner != model.owner) revert ModelPoolNotOwned(pool, poolOwner);
        uint256 open = _market.poolOpenCount(pool);
        if (open > 0 || _market.poolTasks(pool).length == 0) revert ModelRoundNotFinalized(pool, open);
        bytes32 expected = _market.poolInputsRoot(pool);
        if (task.params.inputsRoot != expected) revert ModelInputsMismatch(expected, task.params.inputsRoot);
        if (_published[modelId][aggregateTaskId]) revert ModelTaskAlreadyPublished(aggregateTaskId, modelId);
        _published[modelId][aggregateTaskId] = true;
        index = model.versions.length;
        model.versions.push(Version(task.winner, aggregateTaskId));
        emit VersionPublished(modelId, index, task.winner, aggregateTaskId);
    }

    /// @notice The newest version of `modelId` and its index (the genesis, index 0, if none was published).
    /// Requirements:
    /// - the model exists.
    function latestVersion(uint256 modelId) external view returns (uint256 index, Version memory version) {
        Model storage model = _model(modelId);
        index = model.versions.length - 1;
        version = model.versions[index];
    }

    /// @notice Version `index` of `modelId` (0 is the genesis).
    /// Requirements:
    /// - the model exists and `index < versionCount(modelId)`.
    function versionAt(uint256 modelId, uint256 index) external view returns (Version memory) {
        Model storage model = _model(modelId);
        if (index >= model.versions.length) revert ModelVersionNotFound(modelId, index);
        return model.versions[index];
    }

    /// @notice How many versions `modelId` has, the genesis included.
    /// Requirements:
    /// - the model exists.
    function versionCount(uint256 modelId) external view returns (uint256) {
        return _model(modelId).versions.length;
    }

    /// @notice Name and owner of `modelId`.
    /// Requirements:
    /// - the model exists.
    function getModel(uint256 modelId) external view returns (string memory name, address owner) {
        Model storage model = _model(modelId);
        return (model.name, model.owner);
    }

    /// @notice The number of models; ids run from 1 to `modelCount()`.
    function modelCount() external view returns (uint256) {
        return _modelCount;
    }

    /// @notice Whether aggregate task `taskId` is a version of `modelId`.
    function isPublished(uint256 modelId, uint256 taskId) external view returns (bool) {
        return _published[modelId][taskId];
    }

    /// @notice The task market this registry reads.
    function market() external view returns (TaskMarket) {
        return _market;
    }

    function _model(uint256 modelId) private view returns (Model storage model) {
        model = _models[modelId];
        if (model.owner == address(0)) revert ModelNotFound(modelId);
    }
}
