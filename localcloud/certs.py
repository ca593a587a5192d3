"""The local cloud's TLS: a lab CA and a server certificate, generated once.

Bearer tokens are only sent over HTTPS (azure-core enforces it), so the local cloud
serves HTTPS. Clients trust it through a bundle of certifi's roots plus the lab CA,
which keeps real Azure endpoints verifiable at the same time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import certifi
import trustme

SERVER_NAMES = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Certificates:
    """Paths of the lab's PEM files."""

    ca: Path
    server_cert: Path
    server_key: Path
    bundle: Path


def certificate_paths(tls_dir: Path) -> Certificates:
    return Certificates(
        ca=tls_dir / "ca.pem",
        server_cert=tls_dir / "server.pem",
        server_key=tls_dir / "server-key.pem",
        bundle=tls_dir / "ca-bundle.pem",
    )


def ensure_certificates(tls_dir: Path) -> Certificates:
    """Create the CA, server certificate and trust bundle unless they already exist."""
    paths = certificate_paths(tls_dir)
    if not (paths.ca.is_file() and paths.server_cert.is_file() and paths.server_key.is_file()):
        tls_dir.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA(organization_name="queue lab local cloud")
        server = ca.issue_cert(*SERVER_NAMES)
        ca.cert_pem.write_to_path(str(paths.ca))
        server.cert_chain_pems[0].write_to_path(str(paths.server_cert))
        server.private_key_pem.write_to_path(str(paths.server_key))
        os.chmod(paths.server_key, 0o600)
        paths.bundle.unlink(missing_ok=True)
    if not paths.bundle.is_file():
        roots = Path(certifi.where()).read_text(encoding="ascii")
        lab_ca = paths.ca.read_text(encoding="ascii")
        paths.bundle.write_text(f"{roots.rstrip()}\n\n# queue lab local cloud CA\n{lab_ca}")
    return paths
