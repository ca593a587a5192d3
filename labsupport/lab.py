"""``connect()``: everything a notebook needs to reach the lab's storage account.

It reads the configuration, starts the local cloud when the backend is local, makes
sure the resource group and storage account exist (through :mod:`labsupport.provision`,
the same management-SDK code a learner would run against Azure) and hands back the
account's endpoints, a data-plane credential and a fresh queue name for this run.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field

from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.identity import CredentialUnavailableError, DefaultAzureCredential

from . import localcloud, provision
from .config import AZURE_MANAGEMENT_URL, LabConfig, load_config
from .errors import AzureLoginError, ConfigError, LabError, first_line
from .logsetup import configure_logging
from .progress import progress
from .redact import mask
from .trust import trust_bundle

_TOPIC = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def queue_name_for(topic: str) -> str:
    """A fresh queue name ``<topic>-<6 hex digits>``, valid for Azure Queue Storage."""
    if not _TOPIC.match(topic) or len(topic) > 56:
        raise LabError(
            f"{topic!r} cannot start a queue name: use up to 56 lowercase letters, digits "
            f"and single hyphens (not at the ends), e.g. 'send-peek-receive'."
        )
    return f"{topic}-{secrets.token_hex(3)}"


@dataclass
class Lab:
    """The lab's storage account as a notebook sees it. Holds a key: never print it."""

    config: LabConfig
    queue_name: str
    account_url: str
    blob_url: str
    management_url: str
    management_credential: object = field(repr=False)
    _key: str = field(repr=False)

    @property
    def backend(self) -> str:
        return self.config.backend

    @property
    def account_name(self) -> str:
        return self.config.account_name

    @property
    def resource_group(self) -> str:
        return self.config.resource_group

    @property
    def subscription_id(self) -> str:
        return self.config.subscription_id

    @property
    def credential(self) -> AzureNamedKeyCredential:
        """Shared-key credential for the data plane (``QueueClient(..., credential=...)``)."""
        return AzureNamedKeyCredential(self.account_name, self._key)

    @property
    def connection_string(self) -> str:
        """The account's connection string. A secret: pass it to clients, never print it."""
        return (
            f"DefaultEndpointsProtocol=https;AccountName={self.account_name};"
            f"AccountKey={self._key};QueueEndpoint={self.account_url};"
            f"BlobEndpoint={self.blob_url}"
        )

    @property
    def masked_key(self) -> str:
        return mask(self._key)

    def new_queue_name(self, topic: str) -> str:
        return queue_name_for(topic)

    def summary(self) -> str:
        where = (
            "local cloud (offline: Azurite + local management plane)"
            if self.config.is_local
            else f"Azure (subscription {self.subscription_id[:8]}…)"
        )
        return (
            f"Backend: {where} · storage account {self.account_name} in resource group "
            f"{self.resource_group} · this notebook's queue: {self.queue_name}"
        )

    def __repr__(self) -> str:
        return f"<Lab {self.summary()}>"


def _local_environment(config: LabConfig) -> str:
    """Start the local cloud if needed and point the SDKs at it; return the ARM URL."""
    record = localcloud.up(config)
    folder = localcloud.StateFolder(config.state_dir)
    env = localcloud.client_environment(folder, record)
    os.environ["IDENTITY_ENDPOINT"] = env["IDENTITY_ENDPOINT"]
    os.environ["IDENTITY_HEADER"] = env["IDENTITY_HEADER"]
    trust_bundle(folder.certificates.bundle, folder.certificates.ca)
    return env["LAB_MANAGEMENT_ENDPOINT"]


def _provision(config: LabConfig, bar) -> tuple[str, object, object, str]:
    """Point the SDKs at the backend and ensure the resource group and account.

    Returns the management URL, the management credential, the account and its key.
    """
    bar.set_postfix_str("local cloud" if config.is_local else "Azure credential")
    management_url = _local_environment(config) if config.is_local else AZURE_MANAGEMENT_URL
    credential = DefaultAzureCredential()
    resources, storage = provision.management_clients(
        credential, config.subscription_id, management_url
    )
    bar.update()
    try:
        bar.set_postfix_str(f"resource group {config.resource_group}")
        provision.ensure_resource_group(resources, config.resource_group, config.location)
        bar.update()
        bar.set_postfix_str(f"storage account {config.account_name}")
        account = provision.ensure_storage_account(
            storage, config.resource_group, config.account_name, config.location
        )
        bar.update()
        key = provision.account_key(storage, config.resource_group, config.account_name)
        bar.update()
    except (ClientAuthenticationError, CredentialUnavailableError) as exc:
        if config.is_local:
            raise
        raise AzureLoginError(
            "Could not get an Azure token. Log in with `az login` (then `az account set "
            f"--subscription {config.subscription_id}`), or set AZURE_CLIENT_ID, "
            "AZURE_TENANT_ID and AZURE_CLIENT_SECRET for a service principal. "
            f"Details: {first_line(exc)}"
        ) from None
    except HttpResponseError as exc:
        if getattr(exc.error, "code", None) != "SubscriptionNotFound":
            raise
        raise ConfigError(
            f"Azure has no subscription {config.subscription_id} that you can use. Check "
            "AZURE_SUBSCRIPTION_ID in lab.env: `az account list -o table` lists yours (if it "
            "is in another directory, `az login --tenant <tenant id>` first)."
        ) from None
    return management_url, credential, account, key


def connect(topic: str = "lab", *, quiet: bool = False, config: LabConfig | None = None) -> Lab:
    """Ensure the lab's resources exist and return what a notebook needs.

    ``topic`` names this notebook's queue (a random suffix keeps runs apart). Prints the
    backend in one line unless ``quiet``. A progress bar appears if this takes a while.
    """
    config = config or load_config()
    configure_logging(config.state_dir / "logs")
    queue_name = queue_name_for(topic)
    with progress(4, "Preparing the lab") as bar:
        management_url, credential, account, key = _provision(config, bar)
    lab = Lab(
        config=config,
        queue_name=queue_name,
        account_url=account.primary_endpoints.queue.rstrip("/"),
        blob_url=account.primary_endpoints.blob.rstrip("/"),
        management_url=management_url,
        management_credential=credential,
        _key=key,
    )
    if not quiet:
        print(lab.summary())
    return lab
