"""A certificate PDF signed as PAdES (pyHanko) with the deployment's key and certificate, so a
deployment holding a BSrE (BSSN) certificate issues e-sertifikat a PDF reader shows as signed.

Optional: with CERTIFICATE_SIGNING_KEY and CERTIFICATE_SIGNING_CERT unset nothing is signed
and pyHanko (the `signing` extra) is never imported.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

from bot.config import Settings


@functools.cache
def _signer(key: Path, cert: Path, passphrase: str | None) -> Any:
    """Loaded once per process: reading and decrypting the key costs more than signing."""
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load(
        str(key), str(cert), key_passphrase=passphrase.encode() if passphrase else None
    )
    if signer is None:
        raise ValueError("the certificate signing key or certificate could not be read")
    return signer


def signing_of(settings: Settings) -> tuple[Path, Path, str | None] | None:
    """The key, certificate and passphrase to sign with, or None for unsigned PDFs."""
    key, cert = settings.certificate_signing_key, settings.certificate_signing_cert
    if key is None or cert is None:
        return None
    secret = settings.certificate_signing_passphrase
    return key, cert, secret.get_secret_value() if secret else None


def sign_pdf(data: bytes, signing: tuple[Path, Path, str | None], *, reason: str) -> bytes:
    """`data` with an incremental PAdES signature (B-B level: the signer's certificate in the
    CMS, the document's hash signed)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = _signer(*signing)
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    meta = signers.PdfSignatureMetadata(
        field_name="Sertifikat", subfilter=fields.SigSeedSubFilter.PADES, reason=reason
    )
    out = signers.sign_pdf(writer, meta, signer=signer)
    return bytes(out.getbuffer())
