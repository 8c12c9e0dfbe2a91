"""TLS for the doors: a self-signed certificate made on first start and kept, or the owner's own."""

from __future__ import annotations

import datetime
import ipaddress
import logging
import os
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from thinggate.files import narrow_if_present, private_dir, write_private

_LOG = logging.getLogger(__name__)

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class CertificateFiles:
    """A PEM certificate (chain) and its private key."""

    certificate: Path
    private_key: Path


MAKE_IN_CHILD = True
"""Make self-signed certificates in a child process (a hub then never keeps cryptography loaded).

The test suite turns this off: it makes many certificates in one process (tests/test_serve_modules.py
runs the child route through a real `serve`)."""


def ensure_self_signed(directory: Path, name: str, *, common_name: str) -> CertificateFiles:
    """The certificate `<name>.crt`/`<name>.key` in `directory`, created (RSA 2048, 10 years) if missing.

    RSA rather than EC so that clients pinned to RSA key exchange suites (e.g. AES256-SHA256) connect.
    The directory is 0700 and both files 0600, also those an older version made 0755 and 0644.
    """
    private_dir(directory)
    files = CertificateFiles(directory / f"{name}.crt", directory / f"{name}.key")
    if files.certificate.exists() and files.private_key.exists():
        narrow_if_present(files.private_key)
        narrow_if_present(files.certificate)
        return files
    if not MAKE_IN_CHILD:
        make_self_signed(files, common_name)
        _LOG.info("made a self-signed certificate for %r in %s", common_name, files.certificate)
        return files
    # Made by a child process: cryptography costs ~10 MB that would stay for the hub's whole life.
    env = dict(os.environ)
    # The child must import this very thinggate, wherever this process found it.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")]))
    made = subprocess.run(
        [sys.executable, "-m", "thinggate.api.tls", str(directory), name, common_name],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if made.returncode != 0:
        raise RuntimeError(f"could not make a self-signed certificate in {directory}:\n{made.stderr}")
    _LOG.info("made a self-signed certificate for %r in %s", common_name, files.certificate)
    return files


def make_self_signed(files: CertificateFiles, common_name: str) -> None:
    """Write a new self-signed certificate and its key to `files` (loads cryptography)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(common_name),
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Owner-only before they hold anything (the certificate too: every file in the data directory is).
    write_private(files.private_key, key_pem)
    write_private(files.certificate, certificate.public_bytes(serialization.Encoding.PEM))


def server_context(files: CertificateFiles, *, ciphers: str | None = None) -> ssl.SSLContext:
    """A server-side TLS context (TLS 1.2 or later, as nymea offers) for the given certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # Our order decides, not the client's: forward-secret suites before any kept for old clients.
    context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    if ciphers:
        context.set_ciphers(ciphers)
    context.load_cert_chain(str(files.certificate), str(files.private_key))
    return context


if __name__ == "__main__":
    # `python -m thinggate.api.tls DIRECTORY NAME COMMON_NAME`: what ensure_self_signed runs.
    make_self_signed(
        CertificateFiles(Path(sys.argv[1]) / f"{sys.argv[2]}.crt", Path(sys.argv[1]) / f"{sys.argv[2]}.key"),
        sys.argv[3],
    )
