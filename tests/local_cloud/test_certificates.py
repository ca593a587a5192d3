"""The lab's certificates: the hashed directory that REQUESTS_CA_BUNDLE names is the one
``openssl rehash`` would make from the bundle, and it follows the bundle.

The subject hashes are checked against the ``openssl`` command, the reference; the lab
itself has OpenSSL compute them (pyOpenSSL) and never runs the command.
"""

from __future__ import annotations

import datetime
import hashlib
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from localcloud.certs import (
    _PEM_CERTIFICATE,
    ensure_certificates,
    ensure_hashed_directory,
    subject_hash,
)

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(
    OPENSSL is None, reason="the `openssl` command (the reference for subject hashes) is "
                            "not installed")


def openssl_hash(pem: bytes) -> str:
    done = subprocess.run([OPENSSL, "x509", "-hash", "-noout"], input=pem,
                          capture_output=True, check=True)
    return done.stdout.decode().strip()


def self_signed(*attributes: x509.NameAttribute, name: x509.Name | None = None
                ) -> x509.Certificate:
    """A certificate whose subject has these attributes, one per RDN (or is ``name``)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = name or x509.Name(list(attributes))
    now = datetime.datetime.now(datetime.UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))


def raw_subject_hash(certificate: x509.Certificate) -> str:
    """A wrong hash: the same digest of the subject as encoded, not canonicalised."""
    digest = hashlib.sha1(certificate.subject.public_bytes()).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


@needs_openssl
def test_every_file_is_named_by_the_subject_hash_openssl_computes(tmp_path):
    """certifi's roots and the lab CA: each one file, named ``<openssl x509 -hash>.<n>``."""
    paths = ensure_certificates(tmp_path / "tls")
    in_bundle = _PEM_CERTIFICATE.findall(paths.bundle.read_bytes())
    files = sorted(paths.ca_dir.iterdir())

    assert len(files) == len(in_bundle) > 100
    assert sorted(f.read_bytes().strip() for f in files) == sorted(in_bundle)
    for file in files:
        expected = openssl_hash(file.read_bytes())
        digest, number = file.name.split(".")
        assert digest == expected, f"{file.name}: openssl says {expected}"
        assert (paths.ca_dir / f"{digest}.{int(number) - 1}").is_file() or number == "0"
    lab_ca = paths.ca.read_bytes()
    assert (paths.ca_dir / f"{openssl_hash(lab_ca)}.0").read_bytes().strip() == lab_ca.strip()


@needs_openssl
@pytest.mark.parametrize("kind", [_ASN1Type.PrintableString, _ASN1Type.UTF8String,
                                  _ASN1Type.BMPString, _ASN1Type.T61String])
def test_the_hash_canonicalises_case_and_white_space_as_openssl_does(kind):
    messy = self_signed(
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "  Queue   LAB  Local ", _type=kind),
        x509.NameAttribute(NameOID.COMMON_NAME, " Test \t CA Ünïcode ",
                           _type=_ASN1Type.UTF8String))
    tidy = self_signed(
        x509.NameAttribute(NameOID.COUNTRY_NAME, "de"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "queue lab local",
                           _type=_ASN1Type.UTF8String),
        x509.NameAttribute(NameOID.COMMON_NAME, "test ca Ünïcode", _type=_ASN1Type.UTF8String))
    expected = openssl_hash(messy.public_bytes(Encoding.PEM))

    assert subject_hash(messy.public_bytes(Encoding.DER)) == expected
    # Controls: openssl gives both spellings one hash, which the raw encoding would not.
    assert openssl_hash(tidy.public_bytes(Encoding.PEM)) == expected
    assert raw_subject_hash(messy) != expected


@needs_openssl
def test_a_multi_valued_rdn_and_a_type_openssl_keeps_as_is_hash_as_openssl_does():
    numeric = self_signed(  # a NumericString is not canonicalised: its spaces count
        x509.NameAttribute(NameOID.SERIAL_NUMBER, " 12  34", _type=_ASN1Type.NumericString),
        x509.NameAttribute(NameOID.COMMON_NAME, "B  Side"))
    multi = self_signed(name=x509.Name([x509.RelativeDistinguishedName([
        x509.NameAttribute(NameOID.COMMON_NAME, "Zed"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ACME  Org"),
    ])]))
    for certificate in (numeric, multi):
        assert subject_hash(certificate.public_bytes(Encoding.DER)) == \
            openssl_hash(certificate.public_bytes(Encoding.PEM))


def test_a_new_ca_gets_a_new_directory_and_a_lost_one_comes_back(tmp_path):
    paths = ensure_certificates(tmp_path / "tls")
    first_ca = paths.ca.read_bytes().strip()

    paths.ca.unlink()  # a new CA means a new bundle, and so a new directory
    ensure_certificates(tmp_path / "tls")
    contents = {f.read_bytes().strip() for f in paths.ca_dir.iterdir()}
    assert paths.ca.read_bytes().strip() in contents and first_ca not in contents

    shutil.rmtree(paths.ca_dir)
    ensure_certificates(tmp_path / "tls")
    assert {f.read_bytes().strip() for f in paths.ca_dir.iterdir()} == contents
    assert sorted(p.name for p in paths.ca_dir.parent.iterdir()) == [
        "ca-bundle.pem", "ca-dir", "ca.pem", "server-key.pem", "server.pem"], \
        "no half-built directory is left behind"


def test_the_directory_is_public_like_the_bundle_and_the_key_stays_private(tmp_path):
    tls = tmp_path / "tls"
    paths = ensure_certificates(tls)
    assert paths.ca_dir.stat().st_mode & 0o777 == tls.stat().st_mode & 0o777
    modes = {f.stat().st_mode & 0o777 for f in paths.ca_dir.iterdir()}
    assert modes == {paths.bundle.stat().st_mode & 0o777}
    assert paths.server_key.stat().st_mode & 0o777 == 0o600


def test_a_running_cloud_from_before_the_directory_gets_it_on_the_next_up(cloud, lab_config):
    from labsupport import local

    certificates = local.folder(lab_config).certificates
    try:
        shutil.rmtree(certificates.ca_dir)
        again = local.up(lab_config)
        assert again.pid == cloud.pid, "the running cloud is kept"
        assert len(list(certificates.ca_dir.iterdir())) > 100
    finally:
        ensure_hashed_directory(certificates)
