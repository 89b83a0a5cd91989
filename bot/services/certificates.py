"""Certificates (e-sertifikat) a program issues when a listed participant submits its
evaluation, their verification, revocation and reissue, and the rows SIASN takes.

A program issues certificates once an organizer set its lesson hours (JP) and signatory. The
evaluation's submission issues the certificate of the participant's class-list entry (only a
listed, named person gets one) and returns the notice that carries its PDF: the PDF is built by
the outbox after the commit (bot/reports/builders.py), never inside the update. Numbers are
`unit/program/sequence/year`, the sequence taken in turns per program, so two submissions at
once never share one. Issue, revocation and reissue are audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import classlists
from bot.services.access import Access
from bot.services.errors import NotFound, Refused
from bot.services.nip import NipError, check_nip
from bot.services.notices import FileRequest, Notice
from bot.services.programs import Done, managed
from bot.services.text import clean_text
from bot.storage.certificates import (
    NAME_MAX,
    NUMBER_MAX,
    TITLE_MAX,
    Certificate,
    CertificateSettings,
    ClassListEntry,
)
from bot.storage.places import get_place, timezone_of
from bot.storage.programs import Program
from bot.storage.questionnaires import PROGRAM_SUBJECT, RESPONSE_SUBMITTED, Response

HOURS_MAX = 400
YEARLY_RIGHT = 20  # JP of competence development each ASN has a right to a year (SE BKN 3/2022)
PDF_KIND = "certificate_pdf"
# Where a unit's region names no zone: the year in a number is the year where it was issued.
DEFAULT_ZONE = "Asia/Jakarta"
VERIFY_PATH = "/v/"


class CertificateError(Refused):
    """A rule of certificates said no."""


@dataclass(frozen=True)
class Signatory:
    hours: int
    name: str
    title: str
    nip: str | None = None


def check_settings(given: Signatory) -> Signatory:
    """The settings cleaned, or CertificateError naming what is wrong."""
    if not 1 <= given.hours <= HOURS_MAX:
        raise CertificateError("certificates.hours_invalid", maximum=HOURS_MAX)
    name, title = clean_text(given.name), clean_text(given.title)
    if not 2 <= len(name) <= NAME_MAX:
        raise CertificateError("certificates.signatory_invalid", maximum=NAME_MAX)
    if not 2 <= len(title) <= TITLE_MAX:
        raise CertificateError("certificates.signatory_title_invalid", maximum=TITLE_MAX)
    nip = None
    if given.nip:
        try:
            nip = check_nip(given.nip)
        except NipError as exc:
            raise CertificateError(exc.key) from None
    return Signatory(given.hours, name, title, nip)


async def configure(
    session: AsyncSession, caller: Access, program_id: int, given: Signatory
) -> tuple[Done, list[Notice]]:
    """Makes the program issue certificates (or changes its hours and signatory: certificates
    issued already keep the hours they were issued with). Listed, named participants who
    completed the evaluation before get theirs now."""
    program = await managed(session, caller, program_id)
    assert program.id is not None
    checked = check_settings(given)
    stored = await session.get(CertificateSettings, program.id)
    if stored is None:
        stored = CertificateSettings(
            program_id=program.id,
            hours=checked.hours,
            signatory_name=checked.name,
            signatory_title=checked.title,
        )
    stored.hours, stored.signatory_name = checked.hours, checked.name
    stored.signatory_title, stored.signatory_nip = checked.title, checked.nip
    stored.updated_at = dt.datetime.now(dt.UTC)
    session.add(stored)
    caller.audit(session, "certificate_settings", "program", program.id, str(checked.hours))
    notices = await issue_pending(session, program, checked.hours)
    return Done(
        program, "certificates.configured", {"hours": checked.hours, "count": len(notices)}
    ), notices


async def issue_pending(session: AsyncSession, program: Program, hours: int) -> list[Notice]:
    """Certificates for the listed, named people who completed the evaluation and have none
    valid (they answered before the program issued certificates)."""
    assert program.id is not None
    respondents = select(Response.respondent_id).where(
        col(Response.subject_kind) == PROGRAM_SUBJECT,
        col(Response.subject_id) == program.id,
        col(Response.status) == RESPONSE_SUBMITTED,
    )
    certified = select(Certificate.entry_id).where(
        col(Certificate.program_id) == program.id,
        col(Certificate.revoked_at).is_(None),
        col(Certificate.entry_id).is_not(None),
    )
    query = (
        select(ClassListEntry)
        .where(
            col(ClassListEntry.program_id) == program.id,
            col(ClassListEntry.user_id).in_(respondents),
            col(ClassListEntry.id).not_in(certified),
            col(ClassListEntry.name) != "",
        )
        .order_by(col(ClassListEntry.id))
    )
    now = dt.datetime.now(dt.UTC)
    notices = []
    for entry in (await session.exec(query)).all():
        certificate = await _issue(session, program, entry, hours, now)
        notices.append(delivery(certificate, program, "certificates.issued"))
    return notices


async def settings_of(session: AsyncSession, program_id: int) -> CertificateSettings | None:
    return await session.get(CertificateSettings, program_id)


def verify_url(base_url: str | None, number: str) -> str:
    """The verification page of a number (its slashes encoded: one path segment)."""
    path = VERIFY_PATH + quote(number, safe="")
    return (base_url or "").rstrip("/") + path


# -- issuing ----------------------------------------------------------------------------------


async def _zone(session: AsyncSession, program: Program) -> ZoneInfo:
    return ZoneInfo(await timezone_of(session, program.unit_id) or DEFAULT_ZONE)


# Advisory-lock keys of their own, one per program (chats use Telegram ids, positive; the
# releases and the status guesses have theirs).
_TURN_BASE = -(2**61)


async def _take_turn(session: AsyncSession, program_id: int) -> None:
    """Two certificates of one program issued at once take turns for the next sequence (SQLite
    runs writing transactions in turn already; PostgreSQL takes an advisory lock: a lock on
    the program's row would deadlock with the key-share locks its participants' inserts hold)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.exec(select(func.pg_advisory_xact_lock(_TURN_BASE - program_id)))


async def _issue(
    session: AsyncSession, program: Program, entry: ClassListEntry, hours: int, now: dt.datetime
) -> Certificate:
    assert program.id is not None and entry.id is not None
    await _take_turn(session, program.id)
    last = (
        await session.exec(
            select(func.max(Certificate.sequence)).where(col(Certificate.program_id) == program.id)
        )
    ).one()
    sequence = int(last or 0) + 1
    unit = await get_place(session, program.unit_id)
    year = now.astimezone(await _zone(session, program)).year
    number = f"{unit.code if unit else program.unit_id}/{program.code}/{sequence:04d}/{year}"
    certificate = Certificate(
        number=number[:NUMBER_MAX],
        program_id=program.id,
        entry_id=entry.id,
        user_id=entry.user_id,
        name=entry.name,
        nip=entry.nip,
        hours=hours,
        sequence=sequence,
        year=year,
        issued_at=now,
    )
    session.add(certificate)
    await session.flush()
    Access.command_line().audit(
        session, "certificate_issue", "certificate", certificate.id, certificate.number
    )
    return certificate


def delivery(certificate: Certificate, program: Program, key: str) -> Notice:
    """The message that carries the certificate's PDF, built after the commit."""
    assert certificate.id is not None and certificate.user_id is not None
    return Notice(
        certificate.user_id,
        key,
        {"title": program.title, "number": certificate.number, "hours": certificate.hours},
        files=(FileRequest(PDF_KIND, {"certificate_id": certificate.id}),),
        dedupe_key=f"certificate:{certificate.id}:{key}",
    )


async def valid_of_entry(session: AsyncSession, entry_id: int) -> Certificate | None:
    query = select(Certificate).where(
        col(Certificate.entry_id) == entry_id, col(Certificate.revoked_at).is_(None)
    )
    return (await session.exec(query)).first()


async def on_submit(session: AsyncSession, response: Response) -> list[Notice]:
    """What the evaluation's submission releases: the certificate of a listed participant of
    a program that issues them (once; none for an unnamed entry or anyone not listed)."""
    if response.subject_kind != PROGRAM_SUBJECT:
        return []
    program = await session.get(Program, response.subject_id)
    settings = await settings_of(session, response.subject_id)
    if program is None or settings is None:
        return []
    entry = await classlists.entry_of(session, response.subject_id, response.respondent_id)
    if entry is None or entry.id is None or not entry.name:
        return []
    if await valid_of_entry(session, entry.id) is not None:
        return []
    now = response.submitted_at or dt.datetime.now(dt.UTC)
    certificate = await _issue(session, program, entry, settings.hours, now)
    return [delivery(certificate, program, "certificates.issued")]


@dataclass(frozen=True)
class CertificateView:
    """Everything printed on one certificate."""

    number: str
    name: str
    nip: str
    program: str
    starts: dt.date
    ends: dt.date
    hours: int
    provider: str
    issuer: str  # the unit that issues it, printed at the top
    signatory_name: str
    signatory_title: str
    signatory_nip: str | None
    issued: dt.date
    verify_url: str
    revoked: bool = False


async def printed(
    session: AsyncSession, certificate_id: int, *, base_url: str | None
) -> CertificateView | None:
    """What the certificate's PDF prints, read after the commit by the outbox's builder."""
    certificate = await session.get(Certificate, certificate_id)
    if certificate is None:
        return None
    program = await session.get(Program, certificate.program_id)
    if program is None:
        return None
    zone = await _zone(session, program)
    settings = await settings_of(session, program.id or 0)
    unit = await get_place(session, program.unit_id)
    return CertificateView(
        number=certificate.number,
        name=certificate.name,
        nip=certificate.nip,
        program=program.title,
        starts=program.starts_at.astimezone(zone).date(),
        ends=program.ends_at.astimezone(zone).date(),
        hours=certificate.hours,
        provider=await provider_of(session, program),
        issuer=unit.name if unit else "",
        signatory_name=settings.signatory_name if settings else "",
        signatory_title=settings.signatory_title if settings else "",
        signatory_nip=settings.signatory_nip if settings else None,
        issued=certificate.issued_at.astimezone(zone).date(),
        verify_url=verify_url(base_url, certificate.number) if base_url else "",
        revoked=certificate.revoked_at is not None,
    )


# -- verification, revocation, reissue --------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    """What the public verification page shows: no NIP, no unit, no contact."""

    number: str
    valid: bool
    name: str
    program: str
    starts: dt.datetime
    ends: dt.datetime
    hours: int


async def provider_of(session: AsyncSession, program: Program) -> str:
    if program.provider:
        return program.provider
    unit = await get_place(session, program.unit_id)
    return unit.name if unit else ""


async def verify(session: AsyncSession, number: str) -> Verified | None:
    """The certificate with this number as the public may see it; None for no such number."""
    number = number.strip()
    if not number or len(number) > NUMBER_MAX:
        return None
    query = select(Certificate).where(col(Certificate.number) == number)
    certificate = (await session.exec(query)).first()
    if certificate is None:
        return None
    program = await session.get(Program, certificate.program_id)
    if program is None:
        return None
    return Verified(
        certificate.number,
        certificate.revoked_at is None,
        certificate.name,
        program.title,
        program.starts_at,
        program.ends_at,
        certificate.hours,
    )


async def _managed_certificate(
    session: AsyncSession, caller: Access, number: str
) -> tuple[Certificate, Program]:
    """The certificate if the caller manages its program; NotFound otherwise, alike."""
    query = select(Certificate).where(col(Certificate.number) == number.strip()[:NUMBER_MAX])
    certificate = (await session.exec(query)).first()
    if certificate is None:
        raise NotFound()
    program = await managed(session, caller, certificate.program_id)
    return certificate, program


async def revoke(session: AsyncSession, caller: Access, number: str, *, now: dt.datetime) -> Done:
    """The certificate is no longer valid: its page says revoked from now on."""
    certificate, program = await _managed_certificate(session, caller, number)
    if certificate.revoked_at is not None:
        raise CertificateError("certificates.revoked_already", number=certificate.number)
    certificate.revoked_at = now
    session.add(certificate)
    caller.audit(session, "certificate_revoke", "certificate", certificate.id, certificate.number)
    return Done(program, "certificates.revoked", {"number": certificate.number})


async def reissue(
    session: AsyncSession, caller: Access, number: str, *, now: dt.datetime
) -> tuple[Done, list[Notice]]:
    """A new certificate (a new number) for the same entry, as the list now names it (a
    corrected name, say); the old one is revoked, and the holder gets the new PDF."""
    certificate, program = await _managed_certificate(session, caller, number)
    entry = await session.get(ClassListEntry, certificate.entry_id or 0)
    if entry is None or not entry.name:
        raise CertificateError("certificates.entry_gone", number=certificate.number)
    settings = await settings_of(session, program.id or 0)
    hours = settings.hours if settings is not None else certificate.hours
    if certificate.revoked_at is None:
        certificate.revoked_at = now
        session.add(certificate)
        caller.audit(
            session, "certificate_revoke", "certificate", certificate.id, certificate.number
        )
    again = await valid_of_entry(session, entry.id or 0)
    if again is not None:
        raise CertificateError("certificates.valid_exists", number=again.number)
    issued = await _issue(session, program, entry, hours, now)
    caller.audit(session, "certificate_reissue", "certificate", issued.id, issued.number)
    notices = [delivery(issued, program, "certificates.reissued")] if issued.user_id else []
    return Done(program, "certificates.reissued_done", {"number": issued.number}), notices
