"""A certificate PDF signed as PAdES with a throwaway key and certificate (standing in for a
deployment's BSrE one): the signature covers the whole document and validates against the
certificate; the text and the QR code are still there; and the settings take both files or
neither."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from bot.config import Settings
from bot.core import build_core
from bot.i18n import Texts
from bot.reports import builders
from bot.reports.certificate_pdf import certificate_pdf
from bot.reports.certificate_sign import sign_pdf, signing_of
from bot.services.certificates import CertificateView
from bot.storage.db import Database
from tests.services.test_certificates import _join_and_submit, _nip, _program

TOKEN = "123456:" + "A" * 35


def _throwaway(folder: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "BPSDM Uji (bukan BSrE)")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), True
        )
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "kunci.pem", folder / "sertifikat.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _view() -> CertificateView:
    return CertificateView(
        "LPG-PROV-BPSDM/ABC234/0001/2026", "Sari Dewi", "198503122010012001",
        "Pelatihan Kearsipan", dt.date(2026, 11, 2), dt.date(2026, 11, 4), 16,
        "BPSDM Provinsi Lampung", "BPSDM Provinsi Lampung", "Dr. Budi Santoso",
        "Kepala BPSDM", None, dt.date(2026, 11, 5),
        "https://suara.example.go.id/v/LPG-PROV-BPSDM%2FABC234%2F0001%2F2026",
    )  # fmt: skip


def test_a_signed_certificate_validates_and_keeps_its_text(tmp_path: Path) -> None:
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.registry import SimpleTrustManager

    key, cert = _throwaway(tmp_path)
    settings = Settings(
        TELEGRAM_BOT_TOKEN=TOKEN,
        CERTIFICATE_SIGNING_KEY=str(key),
        CERTIFICATE_SIGNING_CERT=str(cert),
        _env_file=None,
    )  # type: ignore[call-arg]
    signing = signing_of(settings)
    assert signing is not None
    t = Texts("id", ZoneInfo("Asia/Jakarta")).for_language("id")
    plain = certificate_pdf(_view(), t)
    signed = sign_pdf(plain, signing, reason="Sertifikat LPG-PROV-BPSDM/ABC234/0001/2026")
    assert signed.startswith(plain)  # an incremental update: the page itself is unchanged

    reader = PdfFileReader(io.BytesIO(signed))
    [signature] = reader.embedded_signatures
    _, _, der = pem.unarmor(cert.read_bytes())
    root = asn1_x509.Certificate.load(der)
    context = ValidationContext(trust_manager=SimpleTrustManager.build(trust_roots=[root]))
    status = validate_pdf_signature(signature, context)
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"

    # Tampered with after signing, it no longer validates.
    forged = signed.replace(b"ReportLab Generated", b"ReportLab Generatex", 1)
    assert forged != signed
    [broken] = PdfFileReader(io.BytesIO(forged)).embedded_signatures
    assert not validate_pdf_signature(broken, context).intact

    text = " ".join(pypdf.PdfReader(io.BytesIO(signed)).pages[0].extract_text().split())
    assert "Sari Dewi" in text and "LPG-PROV-BPSDM/ABC234/0001/2026" in text


def test_signing_takes_both_files_or_neither(tmp_path: Path) -> None:
    key, cert = _throwaway(tmp_path)
    assert signing_of(Settings(TELEGRAM_BOT_TOKEN=TOKEN, _env_file=None)) is None  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="go together"):
        Settings(TELEGRAM_BOT_TOKEN=TOKEN, CERTIFICATE_SIGNING_KEY=str(key), _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="no file"):
        Settings(
            TELEGRAM_BOT_TOKEN=TOKEN,
            CERTIFICATE_SIGNING_KEY=str(key),
            CERTIFICATE_SIGNING_CERT=str(tmp_path / "none.pem"),
            _env_file=None,
        )  # type: ignore[call-arg]
    assert cert.exists()


async def test_the_outbox_builder_signs_when_a_key_is_set(
    tmp_path: Path, database_url: str, db: Database
) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    program_id = await _program(db, listed=1)
    [certificate_id] = await _join_and_submit(db, program_id, 990, _nip(1))
    key, cert = _throwaway(tmp_path)
    settings = Settings(
        TELEGRAM_BOT_TOKEN=TOKEN,
        DATABASE_URL=database_url,
        WEB_BASE_URL="https://suara.example.go.id",
        CERTIFICATE_SIGNING_KEY=str(key),
        CERTIFICATE_SIGNING_CERT=str(cert),
        _env_file=None,
    )  # type: ignore[call-arg]
    core = build_core(settings, analyzer=False)
    try:
        request = {"kind": "certificate_pdf", "params": {"certificate_id": certificate_id}}
        built = await builders.build(core, {**request, "language": "id"})
    finally:
        await core.db.dispose()
    assert built.name.startswith("sertifikat-LSL-DUKCAPIL-") and built.name.endswith(".pdf")
    [signature] = PdfFileReader(io.BytesIO(built.data)).embedded_signatures
    assert signature.field_name == "Sertifikat"
