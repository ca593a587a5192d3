"""``connect()``: everything a notebook needs to reach the lab's storage account.

It reads the configuration, starts the local cloud when the backend is local, makes
sure the resource group and storage account exist (through :mod:`labsupport.provision`,
the same management-SDK code a learner would run against Azure) and hands back the
account's endpoints, a Microsoft Entra ID credential (``DefaultAzureCredential``, on both
backends) and a fresh queue name for this run. Account keys are fetched only when a
lesson about them asks (``lab.account_key()``, ``lab.connection_string``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.identity import CredentialUnavailableError, DefaultAzureCredential

from . import local, provision
from .config import AZURE_MANAGEMENT_URL, LabConfig, load_config
from .errors import AzureLoginError, ConfigError, LabError, first_line
from .logsetup import configure_logging
from .progress import progress
from .queue_names import MAX_LENGTH, is_queue_name
from .redact import mask
from .trust import trust_local_cloud


def queue_name_for(topic: str) -> str:
    """A fresh queue name ``<topic>-<6 hex digits>``, valid for Azure Queue Storage."""
    suffix = f"-{secrets.token_hex(3)}"
    if not is_queue_name(f"{topic}{suffix}"):
        raise LabError(
            f"{topic!r} cannot start a queue name: use up to {MAX_LENGTH - len(suffix)} "
            f"lowercase letters, digits and single hyphens (not at the ends), e.g. "
            f"'send-peek-receive'."
        )
    return f"{topic}{suffix}"


@dataclass(frozen=True)
class Network:
    """Where a client reaches the lab's queues, and what lies in between.

    ``account_url`` is the queue endpoint to use; ``round_trip_ms`` the round trip added
    on this machine (0 when none is added); ``simulated`` is False on Azure, where the
    network is real and nothing is added.
    """

    account_url: str
    round_trip_ms: int
    simulated: bool

    def describe(self) -> str:
        if not self.simulated:
            return "Azure: the network between you and the region is real; nothing is added"
        if not self.round_trip_ms:
            return "this machine, no added latency"
        return (f"this machine, with a simulated network round trip of {self.round_trip_ms} ms "
                f"(LAB_NETWORK_RTT_MS) between the SDK and Azurite")


@dataclass
class Lab:
    """The lab's storage account as a notebook sees it (no secret: keys are fetched on demand)."""

    config: LabConfig
    queue_name: str
    account_url: str
    blob_url: str
    management_url: str
    credential: object = field(repr=False)

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
    def management_credential(self):
        """The credential for the management plane: the same signed-in identity."""
        return self.credential

    def async_credential(self):
        """A new ``azure.identity.aio.DefaultAzureCredential``, for ``aio`` clients.

        The same identity as :attr:`credential`; close it when done (``async with``).
        """
        from azure.identity.aio import DefaultAzureCredential as AsyncDefaultAzureCredential

        return AsyncDefaultAzureCredential(**_credential_options(self.config))

    def account_key(self) -> str:
        """The account's first key, read through the management plane (a secret).

        For the lessons about keys (01, 02) only: the data plane signs in with Entra ID.
        """
        storage = provision.management_clients(self.credential, self.subscription_id,
                                               self.management_url)[1]
        return provision.account_key(storage, self.resource_group, self.account_name)

    @property
    def connection_string(self) -> str:
        """The account's connection string. A secret: pass it to clients, never print it."""
        return (
            f"DefaultEndpointsProtocol=https;AccountName={self.account_name};"
            f"AccountKey={self.account_key()};QueueEndpoint={self.account_url};"
            f"BlobEndpoint={self.blob_url}"
        )

    @property
    def masked_key(self) -> str:
        return mask(self.account_key())

    def new_queue_name(self, topic: str) -> str:
        return queue_name_for(topic)

    @contextlib.contextmanager
    def azure_like_network(self, round_trip_ms: int | None = None) -> Iterator[Network]:
        """The queue endpoint behind an Azure-like network round trip, for the ``with`` block.

        Locally, a relay on 127.0.0.1 holds every request and answer for half of
        ``round_trip_ms`` each way (default: the ``LAB_NETWORK_RTT_MS`` setting); TLS and
        tokens pass through untouched. On Azure nothing is added: the network is real.
        """
        if not self.config.is_local:
            yield Network(self.account_url, 0, simulated=False)
            return
        ms = self.config.network_rtt_ms if round_trip_ms is None else round_trip_ms
        if not ms:
            yield Network(self.account_url, 0, simulated=True)
            return
        parts = urlsplit(self.account_url)
        proxy = local.round_trip_proxy(parts.port, ms)
        try:
            yield Network(f"{parts.scheme}://{parts.hostname}:{proxy.port}{parts.path}", ms,
                          simulated=True)
        finally:
            proxy.close()

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


#: On the local backend, DefaultAzureCredential uses only the local managed identity.
LOCAL_CREDENTIAL_CHOICE = "ManagedIdentityCredential"
_ENVIRONMENT_IDENTITY = ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
                         "AZURE_FEDERATED_TOKEN_FILE", "AZURE_USERNAME")
_told_about_credentials = False


def _choose_local_credential(quiet: bool) -> None:
    """Make every ``DefaultAzureCredential`` in this process use the local identity endpoint.

    azure-identity lets a process choose its credential with ``AZURE_TOKEN_CREDENTIALS``;
    without it, a developer's service principal (``AZURE_CLIENT_SECRET``…) or
    ``az login`` would be tried first and reach for Microsoft's login service. Said once.
    """
    global _told_about_credentials
    before = os.environ.get("AZURE_TOKEN_CREDENTIALS", "")
    os.environ["AZURE_TOKEN_CREDENTIALS"] = LOCAL_CREDENTIAL_CHOICE
    others = [name for name in _ENVIRONMENT_IDENTITY if os.environ.get(name)]
    if before and before.lower() != LOCAL_CREDENTIAL_CHOICE.lower():
        others.insert(0, f"AZURE_TOKEN_CREDENTIALS={before}")
    if others and not quiet and not _told_about_credentials:
        _told_about_credentials = True
        print(f"Local backend: DefaultAzureCredential signs in with the local cloud's managed "
              f"identity (AZURE_TOKEN_CREDENTIALS={LOCAL_CREDENTIAL_CHOICE}); "
              f"{', '.join(others)} from your environment is not used here.")


def _credential_options(config: LabConfig) -> dict:
    """Locally, the managed identity has no client id (ignore a developer's AZURE_CLIENT_ID)."""
    return {"managed_identity_client_id": None} if config.is_local else {}


def _local_environment(config: LabConfig, quiet: bool) -> str:
    """Start the local cloud if needed and point the SDKs at it; return the ARM URL."""
    record = local.up(config)
    folder = local.folder(config)
    env = local.client_environment(config, record)
    os.environ["IDENTITY_ENDPOINT"] = env["IDENTITY_ENDPOINT"]
    os.environ["IDENTITY_HEADER"] = env["IDENTITY_HEADER"]
    _choose_local_credential(quiet)
    trust_local_cloud(env, folder.certificates.ca)
    return env["LAB_MANAGEMENT_ENDPOINT"]


def _provision(config: LabConfig, bar, quiet: bool) -> tuple[str, object, object]:
    """Point the SDKs at the backend and ensure the resource group and account.

    Returns the management URL, the (Entra ID) credential and the storage account.
    """
    bar.set_postfix_str("local cloud" if config.is_local else "Azure credential")
    management_url = (_local_environment(config, quiet) if config.is_local
                      else AZURE_MANAGEMENT_URL)
    credential = DefaultAzureCredential(**_credential_options(config))
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
        bar.set_postfix_str("data roles for your identity")
        _ensure_data_roles(config, credential, management_url, account, bar)
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
    return management_url, credential, account


#: How long connect() waits, on Azure, for new role assignments to apply.
ROLE_WAIT_SECONDS = 15 * 60


def _ensure_data_roles(config: LabConfig, credential, management_url: str, account, bar) -> None:
    """Give the signed-in identity the lab's data roles on the account; on Azure, wait
    until the queue service accepts its token (a new assignment takes a while to apply)."""
    authorization = provision.authorization_client(credential, config.subscription_id,
                                                   management_url)
    principal = provision.signed_in_principal(credential)
    provision.ensure_role_assignments(authorization, config.subscription_id, account.id,
                                      principal)
    if config.is_local:
        return  # Azurite does not check roles (it accepts any valid token)
    bar.set_postfix_str("waiting for your data roles to apply (Azure: up to 30 minutes)")
    provision.wait_for_data_access(account.primary_endpoints.queue, credential,
                                   timeout=ROLE_WAIT_SECONDS)


def connect(topic: str = "lab", *, quiet: bool = False, config: LabConfig | None = None) -> Lab:
    """Ensure the lab's resources exist and return what a notebook needs.

    ``topic`` names this notebook's queue (a random suffix keeps runs apart). Prints the
    backend in one line unless ``quiet``. A progress bar appears if this takes a while.
    """
    config = config or load_config()
    configure_logging(config.state_dir / "logs")
    queue_name = queue_name_for(topic)
    with progress(4, "Preparing the lab") as bar:
        management_url, credential, account = _provision(config, bar, quiet)
    lab = Lab(
        config=config,
        queue_name=queue_name,
        account_url=account.primary_endpoints.queue.rstrip("/"),
        blob_url=account.primary_endpoints.blob.rstrip("/"),
        management_url=management_url,
        credential=credential,
    )
    if not quiet:
        print(lab.summary())
    return lab
