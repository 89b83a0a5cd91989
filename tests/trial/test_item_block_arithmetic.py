"""Trial: subtraction attacks on the items not everyone answers (releases.item_scores and
releases.item_counts), through the program page's figures and the weekly digest.

Each test is an organizer's arithmetic on two figures the product shows; each fails while
two of them differ by fewer than the minimum number of answers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.reports.feedback_export import feedback_rows
from bot.services import programs as program_service
from bot.services import releases
from bot.services.digest import Period, build
from bot.services.programs import ProgramSpec
from bot.services.questionnaires import NOT_ATTENDED, seed_templates
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places
from bot.storage.programs import Program
from bot.storage.questionnaires import PROGRAM_SUBJECT, RESPONSE_SUBMITTED, Answer, Response

TZ = ZoneInfo("Asia/Jakarta")
ITEMS = ("relevansi", "pemahaman", "metode", "sarana", "layanan", "manfaat")
START = dt.datetime(2026, 11, 16, 8, 0, tzinfo=TZ)
WEEK = Period(dt.date(2026, 11, 16))


async def _program(db: Database) -> int:
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        assert unit is not None and unit.id is not None
        ends = dt.datetime(2026, 11, 6, 16, 0, tzinfo=TZ)
        program = await program_service.create_program(
            session,
            spec=ProgramSpec(
                title="Pelayanan Prima",
                unit_id=unit.id,
                starts_at=ends - dt.timedelta(days=2),
                ends_at=ends,
            ),
            caller=None,
            now=ends - dt.timedelta(days=3),
        )
        await session.commit()
        assert program.id is not None
        return program.id


async def _submit(
    db: Database,
    program_id: int,
    who: int,
    at: dt.datetime,
    answers: dict[str, int | None],
    minimum: int,
) -> None:
    """A submitted questionnaire with these answers (None: "did not attend"), released as
    the chat's submission releases it, with the minimum in force at that moment."""
    async with db.session() as session:
        program = await session.get(Program, program_id)
        assert program is not None
        response = Response(
            template_id=program.template_id, subject_kind=PROGRAM_SUBJECT, subject_id=program_id,
            respondent_id=who, status=RESPONSE_SUBMITTED, submitted_at=at,
        )  # fmt: skip
        session.add(response)
        await session.flush()
        assert response.id is not None
        session.add_all(
            Answer(response_id=response.id, question=q, score=s)
            if s is not None
            else Answer(response_id=response.id, question=q, choice=NOT_ATTENDED)
            for q, s in answers.items()
        )
        await releases.after_submit(session, response, minimum=minimum)
        await session.commit()


async def _page(db: Database, program_id: int, minimum: int) -> program_service.ProgramFigures:
    async with db.session() as session:
        program = await session.get(Program, program_id)
        assert program is not None
        return await program_service.figures(session, program, minimum=minimum)


async def test_a_change_of_the_minimum_leaves_an_optional_items_shown_blocks_as_they_were(
    db: Database,
) -> None:
    """README: "a later change of k changes the size of later blocks only". The respondents'
    blocks stay, but an item's own blocks are formed again with the new k from the start,
    so the page before and after the change differ by two answers to "sarana"."""
    program_id = await _program(db)
    rest = {q: 4 for q in ITEMS if q != "sarana"}
    # k = 5. First block of five respondents: three rate "sarana" (optional in effect) 5.
    for n in range(5):
        sarana = {"sarana": 5} if n < 3 else {}
        at = START + dt.timedelta(hours=n)
        await _submit(db, program_id, 100 + n, at, {**rest, **sarana}, 5)
    # Second block of five: two rate "sarana" 1.
    for n in range(5):
        sarana = {"sarana": 1} if n < 2 else {}
        at = START + dt.timedelta(days=1, hours=n)
        await _submit(db, program_id, 200 + n, at, {**rest, **sarana}, 5)
    before = {f.question: (f.mean, f.answers) for f in (await _page(db, program_id, 5)).items}
    assert before["sarana"] == (3.4, 5)  # three 5s and two 1s, released at k = 5
    # The office lowers FEEDBACK_MIN_RESPONSES to 3; nothing new is answered.
    after = {f.question: (f.mean, f.answers) for f in (await _page(db, program_id, 3)).items}
    # Released figures stay released: the item must not move without a new block of answers.
    # (It shows (5.0, 3): 5 x 3.4 - 3 x 5.0 = 2 gives the last two answers, both 1.)
    assert after["sarana"] == before["sarana"]


async def test_the_did_not_attend_count_is_shown_so_nothing_withheld_is_derived(
    db: Database,
) -> None:
    """Rule 4: a withheld figure looks like an empty one. One of ten did not attend
    "layanan" (the instructor's session): the page withholds the "1 tidak mengikuti", but it
    shows 10 respondents and 9 scores of an item every respondent answers one way or the
    other, so the withheld count is 10 - 9 = 1, an answer of one person."""
    program_id = await _program(db)
    rest = {q: 4 for q in ITEMS if q != "layanan"}
    for n in range(10):
        layanan = None if n == 0 else 4
        at = START + dt.timedelta(hours=n)
        await _submit(db, program_id, 100 + n, at, {**rest, "layanan": layanan}, 5)
    page = await _page(db, program_id, 5)
    layanan = next(f for f in page.items if f.question == "layanan")
    assert page.respondents == 10
    # Fixed: "did not attend" is a count of people, like the respondents, and is shown as
    # released (README, privacy rule 7), so nothing withheld is left to derive.
    assert layanan.not_attended == 1
    # What an organizer reads off the page: respondents minus scores minus absences shown.
    derived = page.respondents - layanan.answers - layanan.not_attended
    assert derived == 0 or derived >= 5, f"the page gives away {derived} absence(s)"


async def _withheld_single_answer(db: Database) -> int:
    """Five respondents released in WEEK; every item rated 4 by all five, except "sarana"
    that only one of them rated, with a 1: the page withholds "sarana"."""
    program_id = await _program(db)
    rest = {q: 4 for q in ITEMS if q != "sarana"}
    for n in range(5):
        sarana = {"sarana": 1} if n == 0 else {}
        at = dt.datetime.combine(WEEK.monday, dt.time(9 + n), TZ)
        await _submit(db, program_id, 100 + n, at, {**rest, **sarana}, 5)
    page = await _page(db, program_id, 5)
    assert "sarana" not in {f.question for f in page.items}  # withheld: one answer
    return program_id


async def test_the_digests_trend_point_counts_only_the_answers_the_page_shows(
    db: Database,
) -> None:
    """The digest's trend takes the mean of every released score of the week, not of the
    figures shown: the page shows five items at 4.0 (n=5, 25 answers), the trend point is
    (25 x 4 + 1) / 26, so 26 x point - 100 = 1 is the one withheld "sarana" answer."""
    program_id = await _withheld_single_answer(db)
    page = await _page(db, program_id, 5)
    shown = sum(f.mean * f.answers for f in page.items) / sum(f.answers for f in page.items)
    async with db.session() as session:
        digest = await build(
            session, scope=None, period=WEEK, tz=TZ, today=WEEK.sunday, min_responses=5
        )
    point = next(mean for week, _, mean in digest.trend if week == WEEK)
    assert point == pytest.approx(shown), f"trend {point} vs figures shown {shown}"


async def test_the_program_export_leaves_out_an_answer_the_page_withholds(db: Database) -> None:
    """Rule 4: a withheld figure has no export row. The page withholds "sarana" (one answer
    in the block), the program export carries that one answer, a 1, in its block."""
    program_id = await _withheld_single_answer(db)
    async with db.session() as session:
        columns, rows = await feedback_rows(session, tz=TZ, program_ids=[program_id])
    values = [row[c] for row in rows for c in columns if c.startswith("sarana") and row.get(c)]
    assert values == [], f"the export shows the withheld answers {values}"
