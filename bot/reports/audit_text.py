"""The audit log as people read it: sentences in the chat ("Siti (admin) memverifikasi
ADU-2026-000123 · 3 Des 2026 10.15 WIB") and a workbook with the same words.

Subjects are named as the reader knows them: a complaint by its ticket, a program by its code,
a unit by its name, never by an internal id.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Safe, Translator
from bot.storage.audit import AuditEntry, AuditFilter, recent, search
from bot.storage.complaints import Complaint
from bot.storage.models import User
from bot.storage.places import unit_labels


class Names:
    """Who and what the entries name, looked up once for all of them."""

    def __init__(self) -> None:
        self.people: dict[int, str] = {}
        self.tickets: dict[int, str] = {}
        self.units: dict[int, str] = {}

    @classmethod
    async def of(cls, session: AsyncSession, entries: list[AuditEntry]) -> Names:
        names = cls()
        actors = {e.actor_id for e in entries}
        if actors:
            query = select(User.id, User.staff_name).where(col(User.id).in_(sorted(actors)))
            names.people = {i: n for i, n in (await session.exec(query)).all() if n}
        complaints = {e.subject_id for e in entries if e.subject_kind == "complaint"}
        complaints.discard(None)
        if complaints:
            query2 = select(Complaint.id, Complaint.ticket).where(
                col(Complaint.id).in_(sorted(c for c in complaints if c is not None))
            )
            names.tickets = {i: tk for i, tk in (await session.exec(query2)).all() if i and tk}
        if any(e.subject_kind == "unit" and e.subject_id for e in entries):
            names.units = await unit_labels(session)
        return names

    def actor(self, t: Translator, entry: AuditEntry) -> str:
        return self.people.get(entry.actor_id) or t("reports.audit.someone", id=entry.actor_id)

    def subject(self, t: Translator, entry: AuditEntry) -> str:
        kind, number = entry.subject_kind, entry.subject_id
        if kind == "complaint" and number is not None:
            return self.tickets.get(number, t("reports.audit.a_complaint"))
        if kind == "program":
            return t("reports.audit.program", code=entry.detail or "")
        if kind == "certificate":
            return entry.detail or ""  # its number, which names nobody by itself
        if kind == "unit" and number is not None and number in self.units:
            return self.units[number]
        if kind == "user" and number is not None:
            return self.people.get(number) or t("reports.audit.someone", id=number)
        return ""


def role_of(t: Translator, entry: AuditEntry) -> str:
    key = f"reports.role.{entry.actor_role}"
    return t(key) if t.has(key) else entry.actor_role


def action_of(t: Translator, entry: AuditEntry, subject: str) -> str:
    key = f"reports.audit.{entry.action}"
    if t.has(key):
        return t(key, subject=subject)
    return t("reports.audit.other", action=entry.action, subject=subject)


def sentence(t: Translator, names: Names, entry: AuditEntry) -> str:
    """One entry as a sentence, HTML-escaped (the translator escapes each value)."""
    what = action_of(t, entry, names.subject(t, entry))
    # The program's code is already its subject; other details (a count, a reason) follow.
    detail = entry.detail if entry.detail and entry.subject_kind != "program" else None
    return t(
        "reports.audit.sentence_detail" if detail else "reports.audit.sentence",
        actor=names.actor(t, entry),
        role=role_of(t, entry),
        what=Safe(what),  # rendered (and escaped) by the translator
        when=t.datetime(entry.at),
        detail=detail or "",
    )


async def audit_lines(session: AsyncSession, t: Translator, *, limit: int = 30) -> list[str]:
    entries = await recent(session, limit=limit)
    names = await Names.of(session, entries)
    return [sentence(t, names, entry) for entry in entries]


def action_label(t: Translator, action: str) -> str:
    """An action as a filter offers it: its sentence with an ellipsis for the subject."""
    key = f"reports.audit.{action}"
    return _plain(t(key, subject="…")) if t.has(key) else action


async def audit_workbook(
    session: AsyncSession, t: Translator, *, limit: int, wanted: AuditFilter | None = None
) -> tuple[bytes, int]:
    """The log as a workbook: the latest `limit` entries, or those `wanted` keeps (the web
    page's filters), with the same words as the chat's sentences."""
    from bot.reports.sheets import Column, Sheet, workbook

    if wanted is None:
        entries = await recent(session, limit=limit)
    else:
        entries = await search(session, wanted, limit=limit)
    names = await Names.of(session, entries)
    tz = t.tz
    rows = [
        {
            "at": e.at.astimezone(tz).replace(tzinfo=None, microsecond=0),
            "actor": names.actor(t, e),
            "role": role_of(t, e),
            "action": _plain(action_of(t, e, names.subject(t, e))),
            "subject": _plain(names.subject(t, e)),
            "detail": e.detail,
        }
        for e in entries
    ]
    columns = [
        Column("at", "datetime"),
        Column("actor"),
        Column("role"),
        Column("action", "wide"),
        Column("subject"),
        Column("detail", "wide"),
    ]
    return workbook(t, [Sheet(t("reports.sheet_audit"), columns, rows)]), len(rows)


def _plain(html_text: str) -> str:
    import html

    return html.unescape(html_text)
