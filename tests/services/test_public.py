"""The public services (no login): a complaint's status by number and PIN, a unit's figures."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from bot.config import load_settings
from bot.core import Core, build_core
from bot.services import public, releases
from bot.services.access import Access
from bot.services.complaints import Draft, act, file_complaint
from bot.services.errors import NotFound
from bot.services.questionnaires import seed_templates
from bot.services.satisfaction import SKM_SUBJECT
from bot.storage.complaints import (
    BARU,
    DITOLAK,
    DIVERIFIKASI,
    MENUNGGU,
    SELESAI,
    Complaint,
    events_of,
)
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places
from bot.storage.questionnaires import (
    RESPONSE_SUBMITTED,
    Answer,
    QuestionnaireTemplate,
    Response,
)

TZ = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 12, 10, 10, 0, tzinfo=TZ)
DESCRIPTION = "Antrean pembuatan KTP elektronik di kantor kecamatan sangat lama sekali"
SECRET = "a-test-secret-of-twenty-chars"


def _core(db: Database, **settings: str) -> Core:
    core = build_core(
        load_settings(PSEUDONYM_SECRET=SECRET, BOT_TIMEZONE="Asia/Jakarta", **settings),
        db=db,
        analyzer=False,
    )
    core.clock = lambda: NOW.astimezone(dt.UTC)
    return core


async def _unit(db: Database, code: str = "LSL-DUKCAPIL") -> int:
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        await session.commit()
        place = await place_by_code(session, code)
    assert place is not None and place.id is not None
    return place.id


async def _file(db: Database, core: Core, unit_id: int, reporter: int = 301) -> Complaint:
    async with db.session() as session:
        complaint, _ = await file_complaint(
            session,
            reporter_id=reporter,
            reporter_name="Siti Aminah",
            draft=Draft(
                category="Administrasi Kependudukan",
                unit_id=unit_id,
                description=DESCRIPTION,
                privacy="rahasia",
                attachments=[],
                address="Jl. Melati 7, Kalianda",
            ),
            clock=core.moment(),
            daily_limit=5,
        )
        await session.commit()
    return complaint


async def test_a_filed_complaint_has_a_pin_that_its_row_cannot_print(db: Database) -> None:
    core = _core(db)
    complaint = await _file(db, core, await _unit(db))
    pin = public.pin_of(core.settings, complaint)
    assert pin is not None and len(pin) == 6 and pin.isdigit()
    async with db.session() as session:
        row = (
            await session.exec(  # type: ignore[call-overload]
                text("SELECT * FROM complaints WHERE id = :id").bindparams(id=complaint.id)
            )
        ).one()
    values = [str(value) for value in row if value is not None]
    assert not any(pin in value for value in values)
    assert complaint.pin_seed and not any(c.isdigit() for c in complaint.pin_seed)
    # The same row under another deployment's secret gives another PIN: the key is not in it.
    other = load_settings(PSEUDONYM_SECRET="another-secret-of-twenty", BOT_TIMEZONE="Asia/Jakarta")
    assert public.pin_of(other, complaint) != pin
    # It stays the same for the bot, which can show it again in /status.
    assert public.pin_of(core.settings, complaint) == pin


async def test_the_status_by_number_and_pin_is_state_and_dates_only(db: Database) -> None:
    core = _core(db)
    complaint = await _file(db, core, await _unit(db))
    assert complaint.id is not None and complaint.ticket is not None
    organizer = Access(user_id=1, admin=True)
    async with db.session() as session:
        await act(
            session, core.moment(), caller=organizer, complaint_id=complaint.id, action="verify"
        )
        await act(
            session,
            core.moment(),
            caller=organizer,
            complaint_id=complaint.id,
            action="reply",
            note="Catatan internal: berkas Bu Siti ada di meja 3",
        )
        await session.commit()
    pin = public.pin_of(core.settings, complaint)
    assert pin is not None
    async with db.session() as session:
        status = await public.complaint_status(session, core, f" {complaint.ticket.lower()} ", pin)
    today = NOW.date()
    async with db.session() as session:
        acted = {
            e.action: e.at.astimezone(TZ).date() for e in await events_of(session, complaint.id)
        }
    assert status == public.PublicStatus(
        ticket=complaint.ticket,
        state="ditindaklanjuti",
        filed=today,
        verified=acted["verify"],
        responded=acted["reply"],
        closed=None,
        deadline=complaint.followup_due or core.calendar.add_working_days(today, 5),
    )
    # Nothing but the number, the state and dates: no name, id, place, text or note.
    fields = {f.name for f in dataclasses.fields(public.PublicStatus)}
    assert fields == {"ticket", "state", "filed", "verified", "responded", "closed", "deadline"}
    shown = repr(status)
    for secret in ("Siti", "301", "KTP", "Melati", "meja 3", "Administrasi"):
        assert secret not in shown


async def test_a_wrong_pin_and_an_unknown_number_are_the_same_answer(db: Database) -> None:
    core = _core(db)
    complaint = await _file(db, core, await _unit(db))
    assert complaint.ticket is not None and complaint.id is not None
    pin = public.pin_of(core.settings, complaint)
    assert pin is not None
    wrong = f"{(int(pin) + 1) % 10**6:06d}"
    unknown = f"ADU-{NOW.year}-{complaint.id + 500:06d}"
    refusals = []
    async with db.session() as session:
        for number, given in (
            (complaint.ticket, wrong),
            (unknown, pin),
            (unknown, wrong),
            (str(complaint.id), pin),  # the full number is required
            (f"{complaint.id:06d}", pin),
            (complaint.ticket, ""),
        ):
            with pytest.raises(NotFound) as refused:
                await public.complaint_status(session, core, number, given)
            refusals.append((type(refused.value), refused.value.key, refused.value.values))
    assert all(refusal == refusals[0] for refusal in refusals)
    assert refusals[0] == (NotFound, "public.not_found", {})


async def test_the_guess_limit_holds_across_sessions(db: Database) -> None:
    """Five wrong PINs for a number within the hour, whichever worker took them: after that the
    right PIN gets the same "not found" until the hour has passed."""
    core = _core(db)
    complaint = await _file(db, core, await _unit(db))
    other = await _file(db, core, await _unit(db), reporter=302)
    assert complaint.ticket is not None and other.ticket is not None
    pin = public.pin_of(core.settings, complaint)
    assert pin is not None
    wrong = f"{(int(pin) + 7) % 10**6:06d}"
    second = Database(db.url)  # another worker: its own engine and connections
    try:
        for database, tries in ((db, 3), (second, 2)):
            async with database.session() as session:
                for _ in range(tries):
                    with pytest.raises(NotFound):
                        await public.complaint_status(session, core, complaint.ticket, wrong)
                await session.commit()  # the door commits after rendering the refusal
        async with second.session() as session:
            with pytest.raises(NotFound):
                await public.complaint_status(session, core, complaint.ticket, pin)
            # Another number is not affected.
            other_pin = public.pin_of(core.settings, other)
            assert other_pin is not None
            assert (await public.complaint_status(session, core, other.ticket, other_pin)).state
        later = NOW + public.GUESS_WINDOW + dt.timedelta(minutes=1)
        async with db.session() as session:
            status = await public.complaint_status(session, core, complaint.ticket, pin, now=later)
        assert status.ticket == complaint.ticket
    finally:
        await second.dispose()


async def test_an_older_complaint_gets_a_pin_from_its_reporter_only(db: Database) -> None:
    core = _core(db)
    complaint = await _file(db, core, await _unit(db))
    assert complaint.id is not None and complaint.ticket is not None
    async with db.session() as session:
        row = await session.get(Complaint, complaint.id)
        assert row is not None
        row.pin_seed = None  # filed before PINs
        session.add(row)
        await session.commit()
    async with db.session() as session:
        with pytest.raises(NotFound):
            await public.make_pin(session, core, Access(user_id=999), complaint.id)
        _, pin = await public.make_pin(session, core, Access(user_id=301), complaint.id)
        await session.commit()
    async with db.session() as session:
        _, again = await public.make_pin(session, core, Access(user_id=301), complaint.id)
        status = await public.complaint_status(session, core, complaint.ticket, pin)
    assert again == pin and status.state == BARU


# Statistics --------------------------------------------------------------------------------

OCTOBER = dt.datetime(2026, 10, 5, 9, 0, tzinfo=TZ)  # a Monday


def _complaint(
    unit_id: int,
    n: int,
    *,
    created: dt.datetime = OCTOBER,
    state: str = SELESAI,
    closed: dt.date | None = None,
    followup_due: dt.date | None = dt.date(2026, 10, 12),
    verify_due: dt.date = dt.date(2026, 10, 8),
) -> Complaint:
    return Complaint(
        reporter_id=800 + n,
        category="Administrasi Kependudukan",
        unit_id=unit_id,
        description=DESCRIPTION,
        created_at=created,
        verify_due=verify_due,
        followup_due=followup_due,
        state=state,
        closed_at=dt.datetime.combine(closed, dt.time(15), TZ) if closed else None,
        ticket=f"ADU-2026-{900000 + n}",
    )


def _open(unit_id: int, n: int, created: dt.datetime) -> Complaint:
    """A new complaint still within its verification time."""
    return _complaint(unit_id, n, created=created, state=BARU, verify_due=NOW.date())


async def _add(db: Database, rows: list[Complaint]) -> None:
    async with db.session() as session:
        session.add_all(rows)
        await session.commit()


async def test_the_on_time_rate_counts_open_overdue_complaints(db: Database) -> None:
    core = _core(db)
    unit = await _unit(db)
    on_time = [dt.date(2026, 10, d) for d in (6, 7, 8, 9)]  # 1-4 working days
    late = [dt.date(2026, 10, 14), dt.date(2026, 10, 15)]  # 7 and 8 working days
    rows = [_complaint(unit, i, closed=day) for i, day in enumerate(on_time + late)]
    rows.append(
        _complaint(unit, 10, state=DITOLAK, closed=dt.date(2026, 10, 7), followup_due=None)
    )
    # Open and past their deadline: they count against the unit as much as a late closing.
    rows += [_complaint(unit, 20 + i, state=DIVERIFIKASI) for i in range(2)]
    rows.append(_complaint(unit, 30, state=BARU, followup_due=None))  # verification overdue
    # Not judged: waiting for the citizen, or still within its deadline.
    rows.append(_complaint(unit, 40, state=MENUNGGU))
    rows.append(_complaint(unit, 41, state=BARU, followup_due=None, verify_due=NOW.date()))
    await _add(db, rows)

    async with db.session() as session:
        stats = await public.unit_statistics(session, core, unit, "2026-10")
    assert stats.received == 12
    assert stats.closed == 7
    # 5 closed on time (the rejection too) of 7 closed + 3 open overdue; not of 7 closed.
    assert stats.on_time_rate == pytest.approx(5 / 10)
    assert stats.median_days_to_close == 3  # 1, 2, 2, 3, 4, 7, 8
    assert (stats.period, stats.start, stats.end) == (
        "2026-10",
        dt.date(2026, 10, 1),
        dt.date(2026, 11, 1),
    )


async def test_figures_are_withheld_below_the_minimum_and_for_a_small_month(db: Database) -> None:
    core = _core(db)
    unit = await _unit(db)
    # October: 6 received, 4 closed, so the closed figures are withheld but not the count.
    rows = [_complaint(unit, i, closed=dt.date(2026, 10, 6)) for i in range(4)]
    rows += [_complaint(unit, 10 + i, state=BARU, verify_due=NOW.date()) for i in range(2)]
    await _add(db, rows)
    async with db.session() as session:
        october = await public.unit_statistics(session, core, unit, "2026-10")
    assert october.received == 6
    assert october.closed is None and october.median_days_to_close is None
    assert october.on_time_rate is None  # 4 judged

    # Two in November: the half-year and the year would be October plus those two, so they
    # are withheld, though they have eight.
    november = dt.datetime(2026, 11, 3, 9, 0, tzinfo=TZ)
    await _add(
        db,
        [
            _complaint(unit, 50 + i, created=november, state=BARU, verify_due=NOW.date())
            for i in (0, 1)
        ],
    )
    async with db.session() as session:
        assert (await public.unit_statistics(session, core, unit, "2026-11")).received is None
        assert (await public.unit_statistics(session, core, unit, "2026-S2")).received is None
        assert (await public.unit_statistics(session, core, unit, "2026")).received is None
        assert (await public.unit_statistics(session, core, unit, "2026-10")).received == 6
        # The first half-year is empty: nothing to show, nothing to subtract.
        assert (await public.unit_statistics(session, core, unit, "2026-S1")).received is None
    # Three more in November make every month 0 or at least 5: the year is shown.
    await _add(
        db,
        [
            _complaint(unit, 60 + i, created=november, state=BARU, verify_due=NOW.date())
            for i in range(3)
        ],
    )
    async with db.session() as session:
        # Not yet: the year and the half-year are published 30 days after they end.
        assert (await public.unit_statistics(session, core, unit, "2026")).received is None
    later = _core(db)
    later.clock = lambda: dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)
    async with db.session() as session:
        assert (await public.unit_statistics(session, later, unit, "2026")).received == 11
        assert (await public.unit_statistics(session, later, unit, "2026-S2")).received == 11


async def test_a_period_is_published_once_settled_and_counted_as_it_stood_then(
    db: Database,
) -> None:
    """A running month's counts, read on two days, would subtract to one complaint and how it
    was handled; a month is shown 30 days after it ends, as it stood then, and never moves."""
    unit = await _unit(db)
    november = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
    dues = {"verify_due": dt.date(2026, 11, 5), "followup_due": dt.date(2026, 11, 12)}
    rows = [
        _complaint(unit, i, created=november, closed=dt.date(2026, 11, 4), **dues)
        for i in range(5)
    ]
    # Closed after the cut-off (31 December): open and overdue as November's figures stand.
    rows.append(_complaint(unit, 9, created=november, closed=dt.date(2027, 1, 5), **dues))
    await _add(db, rows)

    def on(day: dt.date) -> Core:
        core = _core(db)
        core.clock = lambda: dt.datetime.combine(day, dt.time(9), TZ).astimezone(dt.UTC)
        return core

    async with db.session() as session:
        early = await public.unit_statistics(session, on(dt.date(2026, 12, 30)), unit, "2026-11")
        settled = await public.unit_statistics(session, on(dt.date(2026, 12, 31)), unit, "2026-11")
        year_on = await public.unit_statistics(session, on(dt.date(2027, 6, 1)), unit, "2026-11")
    assert (early.received, early.closed, early.on_time_rate) == (None, None, None)
    assert (settled.received, settled.closed) == (6, 5)
    assert settled.on_time_rate == pytest.approx(5 / 6)
    assert year_on == settled  # the complaint closed in January moves nothing


def test_the_public_pages_offer_published_periods_only() -> None:
    offered = public.recent_periods(dt.date(2027, 1, 20))
    codes = [period.code for period in offered]
    # 2026-S2 ended on 1 January: not settled until 31 January.
    assert codes[:4] == ["2026-S1", "2025-S2", "2025-S1", "2024-S2"]
    assert codes[4:6] == ["2025", "2024"]
    assert codes[6] == "2026-11" and codes[-1] == "2025-12" and len(codes) == 18
    assert all(public.published(period, dt.date(2027, 1, 20)) for period in offered)


async def _skm(
    db: Database, unit_id: int, submitted: list[dt.datetime], first: int, *, minimum: int = 5
) -> None:
    """Closed complaints of the unit whose reporters gave the SKM ratings at these moments,
    each released as the chat releases it (blocks of `minimum` per unit)."""
    async with db.session() as session:
        template = (
            await session.exec(
                select(QuestionnaireTemplate).where(col(QuestionnaireTemplate.code) == "skm")
            )
        ).first()
        assert template is not None and template.id is not None
        for n, moment in enumerate(submitted, start=first):
            complaint = _complaint(unit_id, n, closed=moment.date())
            session.add(complaint)
            await session.flush()
            response = Response(
                template_id=template.id,
                subject_kind=SKM_SUBJECT,
                subject_id=complaint.id,
                respondent_id=800 + n,
                status=RESPONSE_SUBMITTED,
                submitted_at=moment,
            )
            session.add(response)
            await session.flush()
            assert response.id is not None
            for i in range(1, 10):
                session.add(
                    Answer(response_id=response.id, question=f"u{i}", score=4 if i == 9 else 3)
                )
            await session.flush()
            await releases.after_submit(session, response, minimum=minimum)
        await session.commit()


async def test_the_ikm_follows_the_minimum_the_months_and_waits_for_the_period_end(
    db: Database,
) -> None:
    core = _core(db)
    unit = await _unit(db)
    # The first half-year: four ratings released in March as a block while the minimum was
    # 4, then five of April's six under a minimum of 5. March (4) and so the half-year are
    # withheld (the half-year minus April would be March); April is shown.
    await _skm(db, unit, [dt.datetime(2026, 3, 10, 9, 0, tzinfo=TZ)] * 4, first=300, minimum=4)
    await _skm(db, unit, [dt.datetime(2026, 4, 7, 9, 0, tzinfo=TZ)] * 6, first=400)
    # April's sixth waits; four of October's complete its block, in October.
    await _skm(db, unit, [OCTOBER + dt.timedelta(days=3)] * 6, first=100)
    # December is not over (today is 10 December): its figures are not published yet.
    await _skm(db, unit, [NOW - dt.timedelta(days=2)] * 6, first=200)
    async with db.session() as session:
        october = await public.unit_statistics(session, core, unit, "2026-10")
        december = await public.unit_statistics(session, core, unit, "2026-12")
        second_half = await public.unit_statistics(session, core, unit, "2026-S2")
    assert (october.ikm, october.grade, october.respondents) == (77.78, "B", 5)
    assert december.ikm is None and december.respondents is None
    assert second_half.ikm is None  # the half-year is not over either

    async with db.session() as session:
        march = await public.unit_statistics(session, core, unit, "2026-03")
        april = await public.unit_statistics(session, core, unit, "2026-04")
        first_half = await public.unit_statistics(session, core, unit, "2026-S1")
    assert march.ikm is None and first_half.ikm is None
    assert (april.ikm, april.respondents) == (77.78, 5)
