"""The local cloud's TLS: a lab CA and a server certificate, generated once.

Bearer tokens are only sent over HTTPS (azure-core enforces it), so the local cloud
serves HTTPS. Clients trust it through certifi's roots plus the lab CA, which keeps real
Azure endpoints verifiable at the same time, in two forms: a bundle file (``SSL_CERT_FILE``:
aiohttp, httpx, ``ssl.create_default_context``) and an OpenSSL hashed directory of the
same certificates (``REQUESTS_CA_BUNDLE``: requests gives a directory to urllib3 as
``ca_cert_dir``, and OpenSSL then reads only the certificate a connection needs, instead
of parsing the whole 230 KB bundle for every new connection).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import certifi
import trustme
from OpenSSL import crypto

SERVER_NAMES = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Certificates:
    """Paths of the lab's PEM files."""

    ca: Path
    server_cert: Path
    server_key: Path
    bundle: Path
    #: The bundle's certificates, one file each, named by subject hash (``openssl rehash``).
    ca_dir: Path


def certificate_paths(tls_dir: Path) -> Certificates:
    return Certificates(
        ca=tls_dir / "ca.pem",
        server_cert=tls_dir / "server.pem",
        server_key=tls_dir / "server-key.pem",
        bundle=tls_dir / "ca-bundle.pem",
        ca_dir=tls_dir / "ca-dir",
    )


def ensure_certificates(tls_dir: Path) -> Certificates:
    """Create the CA, server certificate, trust bundle and hashed directory unless they
    already exist (a bundle written anew gets a new directory)."""
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
        write_hashed_directory(paths.bundle, paths.ca_dir)
    ensure_hashed_directory(paths)
    return paths


def trust_variables(paths: Certificates) -> dict[str, str]:
    """The variables that make Python clients trust these certificates: requests reads the
    hashed directory, everything else the bundle file."""
    return {"REQUESTS_CA_BUNDLE": str(paths.ca_dir), "SSL_CERT_FILE": str(paths.bundle)}


def ensure_hashed_directory(paths: Certificates) -> None:
    """Write the hashed directory from the bundle if it is missing (a state folder made
    before it existed, or a directory removed by hand)."""
    if not paths.ca_dir.is_dir():
        write_hashed_directory(paths.bundle, paths.ca_dir)


def write_hashed_directory(bundle: Path, directory: Path) -> None:
    """(Re)write ``directory`` as ``openssl rehash`` would leave it for the certificates of
    ``bundle``: one PEM file per certificate, named ``<subject hash>.<n>`` (``n`` counts
    certificates whose subjects share a hash). It is built aside and renamed into place, so
    a directory that exists is complete."""
    names: dict[str, int] = {}
    seen: set[bytes] = set()
    building = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        building.chmod(directory.parent.stat().st_mode & 0o777)  # as public as the bundle
        for pem in _PEM_CERTIFICATE.findall(bundle.read_bytes()):
            der = base64.b64decode(pem.split(b"-----")[2])
            if der in seen:  # rehash skips duplicates too
                continue
            seen.add(der)
            digest = subject_hash(der)
            number = names[digest] = names.get(digest, -1) + 1
            (building / f"{digest}.{number}").write_bytes(pem + b"\n")
        if directory.is_dir():
            old = Path(tempfile.mkdtemp(prefix=f".{directory.name}-old-", dir=directory.parent))
            directory.replace(old / directory.name)
            shutil.rmtree(old)
        building.replace(directory)
    finally:
        shutil.rmtree(building, ignore_errors=True)


# The bundle's certificates are copied as they are, not parsed by a library: cryptography
# warns about (and plans to reject) a root in certifi's bundle whose serial is negative.
_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----")

def subject_hash(certificate: bytes) -> str:
    """What ``openssl x509 -hash`` prints for this (DER) certificate: 8 lower-case hex
    digits. OpenSSL computes it (X509_NAME_hash, through pyOpenSSL), so the name's
    canonical form (case, white space, string types) is OpenSSL's own."""
    x509 = crypto.load_certificate(crypto.FILETYPE_ASN1, certificate)
    return f"{x509.subject_name_hash():08x}"
