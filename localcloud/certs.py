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
import hashlib
import os
import re
import shutil
import tempfile
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

# OpenSSL's subject hash (X509_NAME_hash, the "new" hash since 1.0.0): SHA-1 of the
# canonical encoding of the name (crypto/x509/x_name.c, x509_name_canon), first 4 bytes
# read little-endian. Canonical: each RDN as a DER SET OF SEQUENCE {OID, value}, the SETs
# concatenated without the outer SEQUENCE; values of these string types become UTF8String,
# trimmed, with inner runs of white space made one space and ASCII letters lower case.
_CANON_DECODINGS = {
    0x0C: "utf-8",  # UTF8String
    0x13: "latin-1",  # PrintableString
    0x14: "latin-1",  # T61String (OpenSSL reads its bytes as Latin-1)
    0x16: "latin-1",  # IA5String
    0x1A: "latin-1",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}
_WHITE_SPACE = re.compile(rb"[ \t\n\v\f\r]+")  # runs of what ossl_isspace() accepts


def subject_hash(certificate: bytes) -> str:
    """What ``openssl x509 -hash`` prints for this (DER) certificate: 8 lower-case hex
    digits."""
    canonical = b"".join(_canonical_rdn(rdn) for rdn in _der_items(_subject(certificate)))
    return f"{int.from_bytes(hashlib.sha1(canonical).digest()[:4], 'little'):08x}"


def _subject(certificate: bytes) -> bytes:
    """The contents of the subject Name, as the certificate encodes it."""
    tbs = _der_items(_der_value(_der_items(_der_value(certificate))[0]))
    fields = [item for item in tbs if item[0] != 0xA0]  # skip the optional [0] version
    _serial, _signature, _issuer, _validity, subject = fields[:5]
    return _der_value(subject)


def _canonical_rdn(rdn: bytes) -> bytes:
    entries = []
    for attribute in _der_items(_der_value(rdn)):
        oid, value = _der_items(_der_value(attribute))
        entries.append(_der(0x30, oid + _canonical_value(value)))
    return _der(0x31, b"".join(sorted(entries)))  # DER orders a SET OF by encoding


def _canonical_value(value: bytes) -> bytes:
    tag = value[0]
    if tag not in _CANON_DECODINGS:
        return value
    text = _der_value(value).decode(_CANON_DECODINGS[tag]).encode("utf-8")
    text = _WHITE_SPACE.sub(b" ", text.strip(b" \t\n\v\f\r"))
    return _der(0x0C, text.translate(_ASCII_LOWER))


_ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")


def _der_header(data: bytes, offset: int = 0) -> tuple[int, int, int]:
    """(tag, start, end) of the DER element at ``offset``: its value is data[start:end]."""
    length, start = data[offset + 1], offset + 2
    if length & 0x80:
        count = length & 0x7F
        length, start = int.from_bytes(data[start:start + count], "big"), start + count
    return data[offset], start, start + length


def _der_value(element: bytes) -> bytes:
    _, start, end = _der_header(element)
    return element[start:end]


def _der_items(contents: bytes) -> list[bytes]:
    """The whole elements (tag, length and value) that ``contents`` holds, in order."""
    items, offset = [], 0
    while offset < len(contents):
        _, _, end = _der_header(contents, offset)
        items.append(contents[offset:end])
        offset = end
    return items


def _der(tag: int, value: bytes) -> bytes:
    length = len(value)
    if length < 0x80:
        return bytes([tag, length]) + value
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + value
