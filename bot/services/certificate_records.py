"""What is done with certificates once issued: a program's taken away (every PDF, the SIASN
rows of riwayat kursus), the ASN's own (their certificates, this year's JP against the yearly
right, one sent again), and their part of a person's data (bot/services/privacy.py).

Like bot/services/certificates.py, each takes the caller (or the person) and the record's id
and refuses with NotFound what is not theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import Access
from bot.services.certificates import YEARLY_RIGHT, delivery, provider_of
from bot.services.errors import NotFound
from bot.services.notices import FileRequest, Notice
from bot.services.programs import managed
from bot.storage.certificates import NUMBER_MAX, Certificate, ClassListEntry
from bot.storage.programs import Program

# -- what organizers take away: every certificate, the SIASN rows -----------------------------


async def of_program(session: AsyncSession, caller: Access, program_id: int) -> list[Certificate]:
    """The program's valid certificates, in the order they were issued."""
    program = await managed(session, caller, program_id)
    query = select(Certificate).where(
        col(Certificate.program_id) == program.id, col(Certificate.revoked_at).is_(None)
    )
    return list((await session.exec(query.order_by(col(Certificate.sequence)))).all())


SIASN_COLUMNS = (
    "nip",
    "namaKursus",
    "jenisKursus",
    "jumlahJam",
    "tanggalKursus",
    "tanggalSelesaiKursus",
    "tahunKursus",
    "institusiPenyelenggara",
    "nomorSertipikat",
)
COURSE_TYPE = "Pelatihan"  # SIASN's jenisKursus for a training of this kind (not a diklat)


async def siasn_rows(
    session: AsyncSession, caller: Access, program_id: int, *, tz: ZoneInfo
) -> list[dict[str, object]]:
    """One riwayat-kursus row per valid certificate, with the fields SIASN takes."""
    certificates = await of_program(session, caller, program_id)
    program = await managed(session, caller, program_id)
    provider = await provider_of(session, program)
    starts, ends = program.starts_at.astimezone(tz).date(), program.ends_at.astimezone(tz).date()
    return [
        {
            "nip": c.nip,
            "namaKursus": program.title,
            "jenisKursus": COURSE_TYPE,
            "jumlahJam": c.hours,
            "tanggalKursus": starts,
            "tanggalSelesaiKursus": ends,
            "tahunKursus": ends.year,
            "institusiPenyelenggara": provider,
            "nomorSertipikat": c.number,
        }
        for c in certificates
    ]


# -- the ASN's own ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mine:
    certificates: list[tuple[Certificate, Program]]
    hours_this_year: int
    right: int = YEARLY_RIGHT


async def mine(session: AsyncSession, user_id: int, *, year: int) -> Mine:
    """The person's valid certificates (newest first) and the JP they bring this year."""
    query = (
        select(Certificate, Program)
        .join(Program, col(Program.id) == col(Certificate.program_id))
        .where(col(Certificate.user_id) == user_id, col(Certificate.revoked_at).is_(None))
        .order_by(col(Certificate.issued_at).desc())
    )
    rows = [(c, p) for c, p in (await session.exec(query)).all()]
    hours = sum(c.hours for c, _ in rows if c.year == year)
    return Mine(rows, hours)


async def send_again_by_number(session: AsyncSession, user_id: int, number: str) -> list[Notice]:
    """The holder's own certificate, sent again; NotFound for anyone else's (or none)."""
    query = select(Certificate).where(col(Certificate.number) == number.strip()[:NUMBER_MAX])
    certificate = (await session.exec(query)).first()
    if certificate is None or certificate.user_id != user_id or certificate.revoked_at:
        raise NotFound("certificates.not_yours")
    program = await session.get(Program, certificate.program_id)
    if program is None:
        raise NotFound("certificates.not_yours")
    notice = delivery(certificate, program, "certificates.again")
    # Asked for again and again, it is sent again: no dedupe beyond the update itself.
    return [Notice(notice.user_id, notice.key, notice.values, files=notice.files)]


async def take_away(
    session: AsyncSession, caller: Access, program_id: int, what: str
) -> list[Notice]:
    """The program's certificates as one ZIP (`what` = "zip") or its SIASN rows as XLSX
    ("siasn"), for the caller, built by the outbox after the commit; audited."""
    program = await managed(session, caller, program_id)
    kind = {"zip": "certificates_zip", "siasn": "siasn_xlsx"}.get(what)
    if kind is None:
        raise NotFound()
    caller.audit(session, f"certificates_{what}", "program", program.id, program.code)
    request = FileRequest(kind, {"program_id": program.id, "code": program.code})
    return [Notice(user_id=caller.user_id, key="", files=(request,))]


# -- personal data (bot/services/privacy.py) --------------------------------------------------


async def class_list_entries_of(session: AsyncSession, user_id: int) -> list[dict[str, object]]:
    """The class-list entries the person was matched to, for their copy of their data."""
    query = select(ClassListEntry, Program).join(
        Program, col(Program.id) == col(ClassListEntry.program_id)
    )
    rows = (await session.exec(query.where(col(ClassListEntry.user_id) == user_id))).all()
    return [
        {
            "program": program.title,
            "name": entry.name,
            "nip": entry.nip,
            "work_unit": entry.work_unit,
            "phone": entry.phone,
        }
        for entry, program in rows
    ]


async def certificates_of(session: AsyncSession, user_id: int) -> list[dict[str, object]]:
    """The person's certificates as issued, for their copy of their data."""
    query = select(Certificate, Program).join(
        Program, col(Program.id) == col(Certificate.program_id)
    )
    rows = (await session.exec(query.where(col(Certificate.user_id) == user_id))).all()
    return [
        {
            "number": c.number,
            "program": program.title,
            "name": c.name,
            "nip": c.nip,
            "hours": c.hours,
            "issued": c.issued_at.isoformat(),
            "revoked": c.revoked_at.isoformat() if c.revoked_at else None,
        }
        for c, program in rows
    ]


async def unlink(
    session: AsyncSession,
    *,
    user_ids: list[int] | None = None,
    program_ids: list[int] | None = None,
) -> None:
    """Erasure and retention: the Telegram account is unlinked from class-list entries and
    certificates (of these people, or of these programs). The entry stays the organizer's
    record and the certificate stays verifiable under the name it was issued to (the
    issuer's record of what it certified); neither can be followed to the account again."""
    for table in (ClassListEntry, Certificate):
        where = (
            col(table.user_id).in_(user_ids)
            if user_ids is not None
            else col(table.program_id).in_(program_ids or [])
        )
        await session.exec(update(table).where(where).values(user_id=None))
