"""The IKM against arithmetic across time: the citizens' SKM ratings are released in blocks of
the minimum per unit (bot/services/releases.py), so an organizer who closed a complaint
yesterday cannot read that citizen's rating off two requests a day apart. Each test is the
attack: the sixth rating changes no figure (the SKM report, the public statistics, the
workspace's IKM page and its months, the chat's /laporanskm for the running half-year); the
tenth releases a block and every figure moves by five respondents at once."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
from sqlmodel import col, select

from bot.core import Core
from bot.sandbox.harness import Harness
from bot.services import ikm, public, questionnaires, releases, skm_report
from bot.services.access import Access
from bot.services.kinds import SKM
from bot.services.satisfaction import SKM_TEMPLATE
from bot.storage.db import Database
from bot.storage.places import place_by_code
from bot.storage.questionnaires import RESPONSE_SUBMITTED, SKM_SUBJECT, Answer, Response
from tests.conftest import ADMIN_ID
from tests.e2e.helpers import say
from tests.e2e.test_complaints import _setup_organizers
from tests.services.test_public import _complaint, _core, _unit

TZ = ZoneInfo("Asia/Jakarta")
MINIMUM = 5  # the default FEEDBACK_MIN_RESPONSES
# Today in these tests: 10 December 2026; October is finished and published, 2026-S2 runs.
NOW = dt.datetime(2026, 12, 10, 10, 0, tzinfo=TZ)


def _october(day: int) -> dt.datetime:
    return dt.datetime(2026, 10, day, 9, 0, tzinfo=TZ)


async def _rate(db: Database, unit_id: int, n: int, at: dt.datetime, score: int) -> None:
    """A closed complaint of the unit whose reporter submits the SKM at `at`, every element
    scored `score`; the kind's own hook then releases what it completes, as the runner does."""
    async with db.session() as session:
        template = await questionnaires.latest(session, SKM_TEMPLATE)
        assert template.id is not None
        complaint = _complaint(unit_id, n, closed=at.date())
        session.add(complaint)
        await session.flush()
        assert complaint.id is not None
        response = Response(
            template_id=template.id,
            subject_kind=SKM_SUBJECT,
            subject_id=complaint.id,
            respondent_id=800 + n,
            status=RESPONSE_SUBMITTED,
            submitted_at=at,
        )
        session.add(response)
        await session.flush()
        assert response.id is not None
        session.add_all(
            Answer(response_id=response.id, question=f"u{i}", score=score) for i in range(1, 10)
        )
        await session.flush()
        await SKM.after_submit(session, response, MINIMUM)
        await session.commit()


async def _figures(db: Database, core: Core, unit_id: int) -> dict[str, object]:
    """Every IKM figure an organizer or a visitor can read about the unit's October."""
    t = core.texts.for_language("id")
    organizer = Access(user_id=4242, units=frozenset({unit_id}))
    async with db.session() as session:
        month = await skm_report.compute(session, core, unit_id=unit_id, period="2026-10", t=t)
        running = await skm_report.compute(session, core, unit_id=unit_id, period="2026-S2", t=t)
        shown = await public.unit_statistics(session, core, unit_id, "2026-10")
        page = await ikm.page(
            session, core, caller=organizer, unit_code="LSL-DUKCAPIL", period="2026-10", t=t
        )
    (trend,) = [m for m in page.months if m.month.code == "2026-10"]
    return {
        "report": (month.ikm, month.grade, month.respondents),
        "report_elements": [e.nrr for e in month.elements],
        "running_half_year": (running.ikm, running.respondents),
        "public": (shown.ikm, shown.grade, shown.respondents),
        "page": (page.report.ikm, page.report.respondents),
        "page_month": (trend.ikm, trend.surveys),
    }


async def test_a_sixth_rating_changes_no_ikm_figure_and_the_tenth_moves_them_by_five(
    db: Database,
) -> None:
    core = _core(db)
    core.clock = lambda: NOW.astimezone(dt.UTC)
    unit = await _unit(db)
    for n in range(4):
        await _rate(db, unit, n, _october(5 + n), 3)
    four = await _figures(db, core, unit)
    assert four["report"] == (None, None, 0) and four["public"] == (None, None, None)
    assert four["page_month"] == (None, None)

    await _rate(db, unit, 4, _october(9), 3)
    five = await _figures(db, core, unit)
    assert five["report"] == (75.0, "C", 5) and five["report_elements"] == [3.0] * 9
    assert five["running_half_year"] == (75.0, 5)
    assert five["public"] == (75.0, "C", 5)
    assert five["page"] == (75.0, 5) and five["page_month"] == (75.0, 5)

    # The citizen whose complaint was closed yesterday rates it 1 on every element: had it
    # counted, October's IKM would drop to 66.67. It waits for four more; nothing moves.
    await _rate(db, unit, 5, _october(12), 1)
    assert await _figures(db, core, unit) == five
    for n in range(6, 9):
        await _rate(db, unit, n, _october(7 + n), 4)
        assert await _figures(db, core, unit) == five

    # The tenth fills the block: all five join together, in October where it was released.
    await _rate(db, unit, 9, _october(20), 4)
    ten = await _figures(db, core, unit)
    # Per element (5 x 3 + 1 + 4 x 4) / 10 = 3.2, IKM 80.0, grade B.
    assert ten["report"] == (80.0, "B", 10) and ten["report_elements"] == [3.2] * 9
    assert ten["running_half_year"] == (80.0, 10)
    assert ten["public"] == (80.0, "B", 10)
    assert ten["page"] == (80.0, 10) and ten["page_month"] == (80.0, 10)


async def test_a_rating_counts_in_the_period_its_block_was_released(db: Database) -> None:
    """Four ratings at the end of September wait; the fifth, in October, releases them all in
    October: September shows nothing, October the five."""
    core = _core(db)
    unit = await _unit(db)
    for n in range(4):
        await _rate(db, unit, n, dt.datetime(2026, 9, 26 + n, 9, 0, tzinfo=TZ), 3)
    await _rate(db, unit, 4, _october(2), 3)
    t = core.texts.for_language("id")
    async with db.session() as session:
        september = await skm_report.compute(session, core, unit_id=unit, period="2026-09", t=t)
        october = await skm_report.compute(session, core, unit_id=unit, period="2026-10", t=t)
        stamps = (
            await session.exec(
                select(Response.released_at).where(col(Response.subject_kind) == SKM_SUBJECT)
            )
        ).all()
    assert (september.respondents, september.ikm) == (0, None)
    assert (october.respondents, october.ikm) == (5, 75.0)
    assert {s.astimezone(TZ) for s in stamps if s is not None} == {_october(2)}


async def test_start_up_releases_earlier_ratings_in_the_order_they_were_submitted(
    db: Database,
) -> None:
    """Ratings stored before blocks existed (none released): the start-up catch-up releases
    the unit's five earliest as one block, stamped when the fifth was given; two wait."""
    unit = await _unit(db)
    other = await _unit(db, "LSM-DINKES")
    async with db.session() as session:
        template = await questionnaires.latest(session, SKM_TEMPLATE)
        assert template.id is not None
        for n, (place, day) in enumerate(
            [(unit, d) for d in (20, 3, 15, 9, 1, 27, 11)] + [(other, 4), (other, 5)]
        ):
            complaint = _complaint(place, n, closed=dt.date(2026, 10, day))
            session.add(complaint)
            await session.flush()
            session.add(
                Response(
                    template_id=template.id,
                    subject_kind=SKM_SUBJECT,
                    subject_id=complaint.id,
                    respondent_id=800 + n,
                    status=RESPONSE_SUBMITTED,
                    submitted_at=_october(day),
                )
            )
        await session.commit()
    async with db.session() as session:
        assert await releases.catch_up(session, minimum=MINIMUM) == 5
        assert await releases.catch_up(session, minimum=MINIMUM) == 0
        await session.commit()
        rows = (
            await session.exec(
                select(Response.submitted_at, Response.released_at).where(
                    col(Response.subject_kind) == SKM_SUBJECT
                )
            )
        ).all()
    released = sorted(s.astimezone(TZ).day for s, r in rows if r is not None)
    assert released == [1, 3, 9, 11, 15]
    assert {r.astimezone(TZ) for _, r in rows if r is not None} == {_october(15)}


async def _skm_counts(harness: Harness, reader: int) -> list[tuple[object, object]]:
    """The respondents and IKM of every /laporanskm workbook the reader has received."""
    found = []
    for message in harness.emulator.messages(reader):
        if message.kind == "document" and (message.file_name or "").endswith(".xlsx"):
            assert message.file_bytes
            summary = openpyxl.load_workbook(io.BytesIO(message.file_bytes)).worksheets[0]
            facts = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
            found.append((facts["Jumlah responden"], facts["IKM (25-100)"]))
    return found


async def test_the_default_laporanskm_period_cannot_difference_one_rating(
    database_url: str,
) -> None:
    """/laporanskm without a period reports the running half-year. Asked for before and after
    one more rating, it gives the same figures: the rating waits for its block."""
    harness = Harness(
        database_url,
        clock=lambda: NOW.astimezone(dt.UTC),
        BOT_ADMIN_IDS=str(ADMIN_ID),
        FLOOD_MESSAGES_PER_MINUTE="10000",
        DIGEST_SCHEDULE="off",
    )
    await harness.start()
    try:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        db = harness.runner.application.bot_data.db  # type: ignore[union-attr]
        async with db.session() as session:
            place = await place_by_code(session, "LSL-DUKCAPIL")
            assert place is not None and place.id is not None
            unit = place.id

        async def ask(expected: int) -> None:
            await say(emu, rina, "/laporanskm")
            await emu.wait_until(lambda: len(_skm_counts_now()) == expected)

        def _skm_counts_now() -> list[str]:
            return [
                m.file_name or ""
                for m in emu.messages(rina)
                if m.kind == "document" and (m.file_name or "").endswith(".xlsx")
            ]

        for n in range(5):
            await _rate(db, unit, n, dt.datetime(2026, 11, 2 + n, 9, 0, tzinfo=TZ), 3)
        await ask(1)
        await _rate(db, unit, 5, dt.datetime(2026, 12, 9, 9, 0, tzinfo=TZ), 1)  # yesterday
        await ask(2)
        for n in range(6, 10):
            await _rate(db, unit, n, dt.datetime(2026, 12, 9, 10 + n, 0, tzinfo=TZ), 4)
        await ask(3)
        assert _skm_counts_now()[0] == "skm-lsl-dukcapil-2026-s2.xlsx"
        assert await _skm_counts(harness, rina.id) == [(5, 75.0), (5, 75.0), (10, 80.0)]
    finally:
        await harness.close()
