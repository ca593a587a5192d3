"""Fixtures for the management-plane tests: one private local cloud per session.

The cloud gets its own temporary state folder (never the learner's, never the one the
notebooks share), so resources made here cannot leak into notebook outputs. Clients are
the unchanged Azure SDKs with ``DefaultAzureCredential()``; the variables that point
them at the local cloud are set per test and restored afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient

import localcloud
from labsupport import local
from labsupport.config import load_config

from .arm_support import (
    NEW_ACCOUNT,
    SHARED_ACCOUNT,
    SHARED_GROUP,
    LocalCloud,
    Recorder,
    authorization_client,
    point_at,
    resource_client,
    storage_client,
)


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory) -> LocalCloud:
    state = Path(tmp_path_factory.mktemp("management"))
    config = load_config({"LAB_STATE_DIR": str(state)}, env_file=False)
    cloud = LocalCloud(config, local.up(config))
    yield cloud
    localcloud.stop(state)


@pytest.fixture
def arm_env(local_cloud, monkeypatch) -> LocalCloud:
    """Point DefaultAzureCredential and TLS trust at the local cloud for one test."""
    point_at(local_cloud, monkeypatch)
    return local_cloud


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def resources(arm_env, recorder) -> ResourceManagementClient:
    return resource_client(arm_env, recorder)


@pytest.fixture
def storage(arm_env, recorder) -> StorageManagementClient:
    return storage_client(arm_env, recorder)


@pytest.fixture
def authorization(arm_env, recorder) -> AuthorizationManagementClient:
    return authorization_client(arm_env, recorder)


@pytest.fixture(scope="session")
def shared_account(local_cloud) -> tuple[str, str]:
    """A resource group and storage account for tests that only read or add queues."""
    with pytest.MonkeyPatch.context() as patch:
        point_at(local_cloud, patch)
        resource_client(local_cloud).resource_groups.create_or_update(
            SHARED_GROUP, {"location": "eastus"})
        storage_client(local_cloud).storage_accounts.begin_create(
            SHARED_GROUP, SHARED_ACCOUNT, NEW_ACCOUNT).result()
    return SHARED_GROUP, SHARED_ACCOUNT


