"""What anyone may see without logging in: a complaint's status by its number and PIN, and a
unit's statistics for a period. The web workspace's public pages (and any other door) call
these; nothing here names a person or repeats what anyone wrote.

**The PIN.** Every complaint gets six digits at filing, given to the citizen with the tracking
number. The database keeps only `pin_seed`, random letters from which the PIN is derived with
the deployment's secret (`Settings.limit_secret`: PSEUDONYM_SECRET, else the bot token, the
key of bot/services/privacy.py's keyed hashes): the database alone cannot print a PIN, while
the bot can show the citizen theirs again in /status. Complaints filed before PINs have no seed
and get one when their reporter asks (`make_pin`).

**Guessing.** A wrong PIN and an unknown number give the same `NotFound`. Each of them is
written to `pin_guesses` (in the caller's session: the door commits after rendering the
refusal, as the chat does); after GUESSES_PER_WINDOW of them for one number within
GUESS_WINDOW the answer is `NotFound` without checking, in every worker alike.

**Statistics** follow the small-group rule (README, "Anonymity holds against arithmetic"):
each figure is withheld (None, shown as empty) below FEEDBACK_MIN_RESPONSES of the group it
describes, and a period's figure only when each of its months is empty or has that minimum
itself (`skm_report.shown`, the rule the SKM report applies to half-years), so that a year
minus its months never describes fewer people. A period's figures are published only once
SETTLE has passed after its end, and are counted as they stood then (closed by then, overdue
then), so that they never move again: a running period's counts, shown on two days, would
subtract to one complaint and how it was handled. Before that, every figure is withheld.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import statistics
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.services.access import Access
from bot.services.deadlines import WorkingCalendar
from bot.services.errors import NotFound
from bot.services.satisfaction import ikm_of
from bot.services.skm_report import (
    Period,
    respondents_and_elements,
    shown,
    withheld_for,
)
from bot.storage import complaints as store
from bot.storage import public as guesses
from bot.storage.complaints import (
    BARU,
    DITINDAKLANJUTI,
    DITOLAK,
    DIVERIFIKASI,
    SELESAI,
    Complaint,
    ComplaintEvent,
)
from bot.storage.places import LEVEL_UNIT, get_place

if TYPE_CHECKING:
    from bot.core import Core

PIN_DIGITS = 6
SEED_LENGTH = 24  # letters only: the row holds no digit at all
GUESSES_PER_WINDOW = 5
GUESS_WINDOW = dt.timedelta(hours=1)
TICKET_RE = re.compile(r"^ADU-(\d{4})-(\d{6,9})$")
# A key no chat id can be, for the turn (PostgreSQL advisory lock) a number's guesses take.
_GUESS_TURN_BASE = -(2**62)
# States whose deadline can pass with the unit doing nothing (menunggu waits for the citizen).
_RUNNING = (BARU, DIVERIFIKASI, DITINDAKLANJUTI)
_CLOSED = (SELESAI, DITOLAK)
# Longer than verification, follow-up and a reporter's reply together (3 + 5 + 10 working days),
# so that most of a period's complaints are settled when its figures are fixed.
SETTLE = dt.timedelta(days=30)


def published(period: Period, today: dt.date) -> bool:
    """Whether a period's public figures are fixed and shown (SETTLE after its end)."""
    return period.end + SETTLE <= today


def _settings(core_or_settings: Core | Settings) -> Settings:
    if isinstance(core_or_settings, Settings):
        return core_or_settings
    return core_or_settings.settings


def new_pin_seed() -> str:
    return "".join(secrets.choice(string.ascii_letters) for _ in range(SEED_LENGTH))


def pin_of(settings: Settings, complaint: Complaint) -> str | None:
    """The complaint's PIN, derived from its seed with the deployment's secret; None before
    it has one."""
    if complaint.pin_seed is None or complaint.id is None:
        return None
    return _derive(settings, complaint.id, complaint.pin_seed)


def _derive(settings: Settings, complaint_id: int, seed: str) -> str:
    message = f"complaint-pin:{complaint_id}:{seed}".encode()
    digest = hmac.new(settings.limit_secret, message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**PIN_DIGITS:0{PIN_DIGITS}d}"


async def make_pin(
    session: AsyncSession, core_or_settings: Core | Settings, caller: Access, complaint_id: int
) -> tuple[Complaint, str]:
    """The reporter's PIN for their own complaint, made now if it has none (complaints filed
    before PINs); anyone else's complaint is "not found"."""
    complaint = await store.get_complaint(session, complaint_id)
    if complaint is None or complaint.reporter_id != caller.user_id:
        raise NotFound("status.not_found")
    if complaint.pin_seed is None:
        complaint.pin_seed = new_pin_seed()
        session.add(complaint)
    pin = pin_of(_settings(core_or_settings), complaint)
    assert pin is not None
    return complaint, pin


@dataclass(frozen=True)
class PublicStatus:
    """A complaint as anyone with its number and PIN sees it: its state and dates, nothing
    about who filed it, what it says, or what the unit noted. Dates are the deployment's."""

    ticket: str
    state: str  # baru, diverifikasi, ditindaklanjuti, menunggu, selesai, ditolak
    filed: dt.date
    verified: dt.date | None
    responded: dt.date | None  # the unit's first answer to the citizen
    closed: dt.date | None
    deadline: dt.date | None  # the one that applies now (none once closed or waiting)


def normalise_number(number: str) -> str | None:
    """ADU-YYYY-NNNNNN as written (spaces and case aside); anything else is None."""
    ticket = number.strip().upper()[:24]
    return ticket if TICKET_RE.match(ticket) else None


async def complaint_status(
    session: AsyncSession,
    core_or_settings: Core | Settings,
    number: str,
    pin: str,
    *,
    now: dt.datetime | None = None,
) -> PublicStatus:
    """The public status of a complaint by its full number and PIN. A wrong PIN, an unknown
    number and too many wrong guesses for the number within the hour give the same
    `NotFound("public.not_found")`; the door must commit after rendering it (the guess is
    counted in this session)."""
    settings = _settings(core_or_settings)
    if now is None:
        now = _now(core_or_settings)
    ticket = normalise_number(number)
    if ticket is None:
        raise NotFound("public.not_found")
    await _take_turn(session, ticket)
    if await guesses.wrong_guesses_since(session, ticket, now - GUESS_WINDOW) >= (
        GUESSES_PER_WINDOW
    ):
        raise NotFound("public.not_found")
    complaint = await store.complaint_by_ticket(session, ticket)
    # The same work for a number that does not exist, so that time does not tell either.
    expected = (
        pin_of(settings, complaint)
        if complaint is not None and complaint.pin_seed is not None
        else _derive(settings, 0, "no such complaint")
    )
    given = pin.strip()[: PIN_DIGITS * 2]
    right = hmac.compare_digest(given.encode(), (expected or "").encode())
    if complaint is None or complaint.pin_seed is None or not right:
        guesses.record_wrong_guess(session, ticket, now)
        await session.flush()
        raise NotFound("public.not_found")
    return await _status_of(session, settings, complaint)


async def _status_of(
    session: AsyncSession, settings: Settings, complaint: Complaint
) -> PublicStatus:
    assert complaint.id is not None and complaint.ticket is not None
    tz = settings.tz
    firsts: dict[str, dt.datetime] = {}
    query = (
        select(ComplaintEvent.action, ComplaintEvent.at)
        .where(
            col(ComplaintEvent.complaint_id) == complaint.id,
            col(ComplaintEvent.action).in_(("verify", "reply")),
        )
        .order_by(col(ComplaintEvent.id))
    )
    for action, at in (await session.exec(query)).all():
        firsts.setdefault(action, at)
    from bot.services.complaints import due_date

    def day(moment: dt.datetime | None) -> dt.date | None:
        return moment.astimezone(tz).date() if moment is not None else None

    filed = day(complaint.created_at)
    assert filed is not None
    return PublicStatus(
        ticket=complaint.ticket,
        state=complaint.state,
        filed=filed,
        verified=day(firsts.get("verify")),
        responded=day(firsts.get("reply")),
        closed=day(complaint.closed_at) if complaint.state in _CLOSED else None,
        deadline=due_date(complaint),
    )


async def _take_turn(session: AsyncSession, ticket: str) -> None:
    """Guesses for one number counted one at a time across workers (PostgreSQL: an advisory
    lock until the transaction ends; SQLite's writing transactions already run in turn)."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from sqlalchemy import func

    key = _GUESS_TURN_BASE - int.from_bytes(hashlib.sha256(ticket.encode()).digest()[:6], "big")
    await session.exec(select(func.pg_advisory_xact_lock(key)))


def _now(core_or_settings: Core | Settings) -> dt.datetime:
    if isinstance(core_or_settings, Settings):
        from bot.storage.types import utcnow

        return utcnow()
    return core_or_settings.clock()


@dataclass(frozen=True)
class UnitStatistics:
    """A unit's public figures for a period; None: withheld (too few in its group), shown as
    empty. Complaints are counted by the day they were received."""

    unit_id: int
    unit_code: str
    period: str  # 2026-03, 2026-S1, 2026
    start: dt.date
    end: dt.date  # the first day after the period
    received: int | None
    closed: int | None  # of those received, closed (resolved or rejected) by the cut-off
    on_time_rate: float | None  # closed on time / (closed + open overdue), 0-1
    median_days_to_close: float | None  # working days from receipt to closing
    ikm: float | None  # 25-100
    grade: str | None  # A-D
    respondents: int | None  # SKM respondents behind the IKM, when it is shown


@dataclass(frozen=True)
class _Handling:
    month: int
    closed: bool
    on_time: bool
    overdue: bool  # open, past the deadline that applies now, and the unit's to act on
    days_to_close: int | None


def recent_periods(today: dt.date) -> list[Period]:
    """The published periods a public page offers, newest first within each kind: four
    half-years, two years and twelve months (the first is the default: the last published
    half-year)."""

    def back(period: Period) -> Period:
        if period.month is not None:
            year, month = (
                (period.year - 1, 12) if period.month == 1 else (period.year, period.month - 1)
            )
            return Period(year, None, month)
        if period.semester is not None:
            if period.semester == 2:
                return Period(period.year, 1)
            return Period(period.year - 1, 2)
        return Period(period.year - 1, None)

    def latest(period: Period, count: int) -> list[Period]:
        while not published(period, today):
            period = back(period)
        found = [period]
        while len(found) < count:
            found.append(back(found[-1]))
        return found

    half = Period(today.year, 2 if today.month > 6 else 1)
    return (
        latest(half, 4)
        + latest(Period(today.year, None), 2)
        + latest(Period(today.year, None, today.month), 12)
    )


async def unit_statistics(
    session: AsyncSession,
    core: Core,
    unit_id: int,
    period: Period | str,
) -> UnitStatistics:
    """A unit's figures for a month (2026-03), a half-year (2026-S1) or a year (2026)."""
    settings = core.settings
    chosen = period if isinstance(period, Period) else Period.parse(period, months=True)
    place = await get_place(session, unit_id)
    if place is None or place.level != LEVEL_UNIT or place.id is None:
        raise NotFound("public.unknown_unit")
    k = settings.feedback_min_responses
    tz = settings.tz
    today = core.moment().today
    months = chosen.months()
    cutoff = chosen.end + SETTLE
    if not published(chosen, today):
        return UnitStatistics(
            unit_id=place.id,
            unit_code=place.code,
            period=chosen.code,
            start=chosen.start,
            end=chosen.end,
            received=None,
            closed=None,
            on_time_rate=None,
            median_days_to_close=None,
            ikm=None,
            grade=None,
            respondents=None,
        )
    rows = await _handling(session, place.id, chosen, tz=tz, calendar=core.calendar, as_at=cutoff)

    def figure(rows_in: Callable[[_Handling], bool]) -> int | None:
        """The number of the period's complaints in a group, if its months allow it."""
        per_month = [sum(1 for r in rows if r.month == m.month and rows_in(r)) for m in months]
        return sum(per_month) if shown(sum(per_month), per_month, k) else None

    received = figure(lambda r: True)
    closed = figure(lambda r: r.closed)
    judged = figure(lambda r: r.closed or r.overdue)
    on_time_rate = None
    if judged:
        on_time_rate = sum(1 for r in rows if r.on_time) / judged
    median = None
    if closed:
        median = float(statistics.median(r.days_to_close or 0 for r in rows if r.closed))

    # Published: every block released in the period is in (a rating counts where its block
    # was released, bot/services/releases.py), so the figure no longer moves.
    ikm = grade = respondents = None
    count, per_element = await respondents_and_elements(session, place.id, chosen, tz=tz)
    withheld = await withheld_for(session, place.id, chosen, count, k=k, tz=tz, parts=months)
    if not withheld and all(n >= k for _, n in per_element.values()):
        index = ikm_of({code: mean for code, (mean, _) in per_element.items()}, count)
        if index is not None:
            ikm, grade, respondents = index.value, index.grade, count
    return UnitStatistics(
        unit_id=place.id,
        unit_code=place.code,
        period=chosen.code,
        start=chosen.start,
        end=chosen.end,
        received=received,
        closed=closed,
        on_time_rate=on_time_rate,
        median_days_to_close=median,
        ikm=ikm,
        grade=grade,
        respondents=respondents,
    )


async def _handling(
    session: AsyncSession,
    unit_id: int,
    period: Period,
    *,
    tz: dt.tzinfo,
    calendar: WorkingCalendar,
    as_at: dt.date,
) -> Sequence[_Handling]:
    """Each complaint the unit received in the period as it stood on the morning of `as_at`:
    closed before then, on time, overdue then, how long it took."""

    def moment(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tz)

    query = select(Complaint).where(
        col(Complaint.unit_id) == unit_id,
        col(Complaint.created_at) >= moment(period.start),
        col(Complaint.created_at) < moment(period.end),
    )
    rows: list[_Handling] = []
    for complaint in (await session.exec(query)).all():
        received = complaint.created_at.astimezone(tz).date()
        closed_on = complaint.closed_at.astimezone(tz).date() if complaint.closed_at else None
        closed = complaint.state in _CLOSED and closed_on is not None and closed_on < as_at
        days = on_time = None
        if closed:
            assert closed_on is not None
            days = calendar.working_days_between(received, closed_on)
            # The deadline it was closed against: the follow-up once verified (or asked,
            # answered), else the verification's.
            deadline = complaint.followup_due or complaint.verify_due
            on_time = closed_on <= deadline
        # Open at the cut-off: still running, or closed since. Its deadline then: follow-up
        # once verified, else verification's.
        open_then = not closed and (complaint.state in _RUNNING or complaint.state in _CLOSED)
        due = (
            complaint.verify_due
            if complaint.state == BARU
            else complaint.followup_due or complaint.verify_due
        )
        overdue = open_then and due is not None and as_at > due
        rows.append(
            _Handling(
                month=received.month,
                closed=closed,
                on_time=bool(on_time),
                overdue=overdue,
                days_to_close=days,
            )
        )
    return rows
