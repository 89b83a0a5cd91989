"""The small-n gate against arithmetic: each test is a differencing attack from the trial, run
against the program page's figures, the export and the weekly digest (its text, trend and
change against "before this week"). Answers are released in blocks of the minimum, so no two
figures shown ever differ by fewer than the minimum number of respondents."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Texts
from bot.reports.digest_text import render
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
MINIMUM = 5
WEEK = Period(dt.date(2026, 11, 16))
ITEMS = ("relevansi", "pemahaman", "metode", "sarana", "layanan", "manfaat")


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
    db: Database, program_id: int, who: int, at: dt.datetime, score: int, comment: str = ""
) -> None:
    """One participant's questionnaire, submitted as the chat submits it."""
    async with db.session() as session:
        program = await session.get(Program, program_id)
        assert program is not None
        response = Response(
            template_id=program.template_id,
            subject_kind=PROGRAM_SUBJECT,
            subject_id=program_id,
            respondent_id=who,
            status=RESPONSE_SUBMITTED,
            submitted_at=at,
        )
        session.add(response)
        await session.flush()
        assert response.id is not None
        session.add_all(Answer(response_id=response.id, question=q, score=score) for q in ITEMS)
        if comment:
            label = "negative" if score <= 2 else "positive"
            session.add(
                Answer(response_id=response.id, question="saran", text=comment,
                       sentiment_label=label, sentiment_polarity=-0.5 if score <= 2 else 0.5)
            )  # fmt: skip
        await releases.after_submit(session, response, minimum=MINIMUM)
        await session.commit()


async def _figures(db: Database, program_id: int) -> dict[str, float]:
    async with db.session() as session:
        program = await session.get(Program, program_id)
        assert program is not None
        figures = await program_service.figures(session, program)
    return {f.question: f.mean for f in figures.items}


def _in_week(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(WEEK.monday + dt.timedelta(days=day), dt.time(hour), TZ)


async def test_refreshing_the_page_at_five_and_six_answers_gives_nobody_away(
    db: Database,
) -> None:
    program_id = await _program(db)
    for n in range(4):
        await _submit(db, program_id, 100 + n, _in_week(0, 8 + n), 4)
    assert await _figures(db, program_id) == {}  # withheld: looks like no figure at all
    await _submit(db, program_id, 104, _in_week(0, 13), 4)
    five = await _figures(db, program_id)
    assert five and set(five.values()) == {4.0}
    # The sixth answers all 1: the two refreshes must not tell.
    await _submit(db, program_id, 105, _in_week(1), 1)
    assert await _figures(db, program_id) == five
    for n in range(3):
        await _submit(db, program_id, 106 + n, _in_week(1, 11 + n), 1)
    assert await _figures(db, program_id) == five
    # The tenth completes the second block: now the figure moves, by five people at once.
    await _submit(db, program_id, 109, _in_week(1, 15), 1)
    assert set((await _figures(db, program_id)).values()) == {2.5}


async def test_the_export_waits_for_the_minimum_and_grows_by_whole_blocks(db: Database) -> None:
    program_id = await _program(db)

    async def rows() -> list[dict[str, object]]:
        async with db.session() as session:
            _, found = await feedback_rows(session, tz=TZ, program_ids=[program_id])
        return found

    await _submit(db, program_id, 100, _in_week(0), 2, "Ruangan panas sekali dan sempit")
    assert await rows() == []  # one person's full row was the trial's finding
    for n in range(1, 6):
        await _submit(db, program_id, 100 + n, _in_week(n % 5, 9 + n), 4)
    exported = await rows()
    assert len(exported) == MINIMUM
    # No row carries the day one person answered: the block's day is shared by all five.
    assert {row["released"] for row in exported} == {_in_week(4, 13).date()}
    assert "submitted" not in exported[0]


async def test_a_late_respondent_is_not_singled_out_by_the_weekly_digest(db: Database) -> None:
    program_id = await _program(db)
    before = WEEK.previous()
    for n in range(5):
        at = dt.datetime.combine(before.monday, dt.time(9 + n), TZ)
        await _submit(db, program_id, 100 + n, at, 4, "Materinya sangat bermanfaat bagi kami")
    # One person answers late, in the digest's week, with low scores and a comment.
    late = "Pengajar sering terlambat dan materi membosankan sekali"
    await _submit(db, program_id, 105, _in_week(2), 1, late)
    async with db.session() as session:
        digest = await build(
            session, scope=None, period=WEEK, tz=TZ, today=WEEK.sunday, min_responses=MINIMUM
        )
        earlier = await build(
            session, scope=None, period=before, tz=TZ, today=before.sunday, min_responses=MINIMUM
        )
    (program,) = digest.programs
    assert program.respondents == 6 and program.answered_in_period == 1
    # The week's slice holds nobody: no sentiment, no comment, no themes from the late one.
    assert program.sentiment == {} and program.comments == [] and program.theme_texts == []
    # The cumulative figures are those of last week, so "change" reveals nothing either.
    assert [i.mean for i in program.items] == [i.mean for i in earlier.programs[0].items]
    assert all(i.change in (None, 0.0) for i in program.items)
    text = render(digest, Texts("id", TZ).for_language("id"), {})
    assert "terlambat" not in text and "dari 1" not in text
    # The trend has no mean for this week (one person), and last week's is the five's.
    assert digest.trend[-1][2] is None and digest.trend[-2][2] == 4.0


async def test_the_trend_shows_no_mean_of_a_program_whose_figures_are_withheld(
    db: Database,
) -> None:
    program_id = await _program(db)
    await _submit(db, program_id, 100, _in_week(0), 1)
    await _submit(db, program_id, 101, _in_week(1), 2)
    async with db.session() as session:
        digest = await build(
            session, scope=None, period=WEEK, tz=TZ, today=WEEK.sunday, min_responses=MINIMUM
        )
    assert digest.programs[0].withheld
    assert all(mean is None for _, _, mean in digest.trend)


async def test_answers_from_before_blocks_existed_are_released_in_order_at_start_up(
    db: Database,
) -> None:
    program_id = await _program(db)
    async with db.session() as session:
        program = await session.get(Program, program_id)
        assert program is not None
        for n in range(7):
            session.add(
                Response(
                    template_id=program.template_id, subject_kind=PROGRAM_SUBJECT,
                    subject_id=program_id, respondent_id=100 + n, status=RESPONSE_SUBMITTED,
                    submitted_at=_in_week(0, 8 + n),
                )
            )  # fmt: skip
        await session.commit()
    async with db.session() as session:
        assert await releases.catch_up(session, minimum=MINIMUM) == 5
        await session.commit()
        assert await releases.catch_up(session, minimum=MINIMUM) == 0
    async with db.session() as session:
        found = (await session.exec(Response.__table__.select())).all()  # type: ignore[attr-defined]
    released = sorted(r.respondent_id for r in found if r.released_at is not None)
    assert released == [100, 101, 102, 103, 104]


async def _submit_some(
    db: Database,
    program_id: int,
    who: int,
    at: dt.datetime,
    answers: dict[str, int | None],
    minimum: int = MINIMUM,
) -> None:
    """A questionnaire with only some items answered: a score, or None for "did not attend",
    released as the chat's submission releases it, with the minimum in force then."""
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


async def test_an_item_not_everyone_answers_moves_by_whole_blocks_of_its_own_answers(
    db: Database,
) -> None:
    """Blocks of respondents are not enough when an item is optional or "did not attend" is
    offered: five people released with one answer to "sarana" would show that one answer."""
    program_id = await _program(db)
    rest = {q: 4 for q in ITEMS if q not in ("sarana", "layanan")}

    async def shown() -> tuple[dict[str, tuple[float, int, int]], dict[str, float]]:
        async with db.session() as session:
            program = await session.get(Program, program_id)
            assert program is not None
            page = await program_service.figures(session, program)
            digest = await build(
                session, scope=None, period=WEEK, tz=TZ, today=WEEK.sunday, min_responses=MINIMUM
            )
        figures = {f.question: (f.mean, f.answers, f.not_attended) for f in page.items}
        return figures, {i.code: i.mean for i in digest.programs[0].items}

    # The first five: one answers "sarana" (a 1), three did not attend "layanan".
    for n in range(5):
        answers = {**rest, "layanan": None if n < 3 else 2}
        if n == 0:
            answers["sarana"] = 1
        await _submit_some(db, program_id, 100 + n, _in_week(0, 8 + n), answers)
    page, items = await shown()
    assert set(page) == set(rest) and set(items) == set(rest)  # neither item is shown yet

    # Five more, four of them rate "sarana" 5 and all rate "layanan" 3: both reach five.
    for n in range(5):
        answers = {**rest, "layanan": 3, **({"sarana": 5} if n else {})}
        await _submit_some(db, program_id, 105 + n, _in_week(1, 8 + n), answers)
    page, items = await shown()
    # "sarana": its first block, a 1 and four 5s; "layanan": the two scores of the first
    # release join the five of the second (2, 2, 3, 3, 3, 3, 3). The three absences are a
    # count of people, like the respondents: shown as released, never as scores.
    assert page["sarana"] == (4.2, 5, 0) and items["sarana"] == 4.2
    assert page["layanan"] == (pytest.approx(19 / 7), 7, 3)
    assert items["layanan"] == pytest.approx(19 / 7)
    before = (page, items)

    # Five more: one rates "sarana" 1 (its sixth answer), two more did not attend "layanan"
    # (its fourth and fifth absence) and three rate it: three scores wait for their block.
    for n in range(5):
        answers = {**rest, "layanan": None if n < 2 else 3, **({"sarana": 1} if n == 0 else {})}
        await _submit_some(db, program_id, 110 + n, _in_week(2, 8 + n), answers)
    page, items = await shown()
    assert page["sarana"] == before[0]["sarana"] and items["sarana"] == before[1]["sarana"]
    assert page["layanan"] == (pytest.approx(19 / 7), 7, 5)
    assert items["layanan"] == before[1]["layanan"]


# The subtraction attacks of a hostile trial on items not everyone answers: each is an
# organizer's arithmetic on two figures the product shows.
TRIAL_START = dt.datetime(2026, 11, 16, 8, 0, tzinfo=TZ)


async def _page(db: Database, program_id: int) -> program_service.ProgramFigures:
    async with db.session() as session:
        program = await session.get(Program, program_id)
        assert program is not None
        return await program_service.figures(session, program)


async def test_a_change_of_the_minimum_leaves_an_optional_items_shown_blocks_as_they_were(
    db: Database,
) -> None:
    """README: "a later change of k changes the size of later blocks only". The trial found
    an item's own blocks formed again with the new k from the start, so the page before and
    after the change differed by two answers to "sarana". Blocks are now made by each
    release's own size: what was shown stays, and later releases bring the new k's blocks."""
    program_id = await _program(db)
    rest = {q: 4 for q in ITEMS if q != "sarana"}
    # k = 5. First block of five respondents: three rate "sarana" (optional in effect) 5.
    for n in range(5):
        sarana = {"sarana": 5} if n < 3 else {}
        at = TRIAL_START + dt.timedelta(hours=n)
        await _submit_some(db, program_id, 100 + n, at, {**rest, **sarana}, 5)
    # Second block of five: two rate "sarana" 1.
    for n in range(5):
        sarana = {"sarana": 1} if n < 2 else {}
        at = TRIAL_START + dt.timedelta(days=1, hours=n)
        await _submit_some(db, program_id, 200 + n, at, {**rest, **sarana}, 5)

    async def sarana() -> tuple[float, int]:
        shown = {f.question: (f.mean, f.answers) for f in (await _page(db, program_id)).items}
        return shown["sarana"]

    before = await sarana()
    assert before == (3.4, 5)  # three 5s and two 1s, released at k = 5
    # The office lowers FEEDBACK_MIN_RESPONSES to 3. A block of three brings one more 1:
    # it waits (before the fix the page re-formed to (5.0, 3) with no new answer at all,
    # and 5 x 3.4 - 3 x 5.0 = 2 gave the last two answers, both 1).
    for n in range(3):
        extra = {"sarana": 1} if n == 0 else {}
        at = TRIAL_START + dt.timedelta(days=2, hours=n)
        await _submit_some(db, program_id, 300 + n, at, {**rest, **extra}, 3)
    assert await sarana() == before
    # Another block of three with two more: three answers wait, a block of the new k.
    for n in range(3):
        extra = {"sarana": 1} if n < 2 else {}
        at = TRIAL_START + dt.timedelta(days=3, hours=n)
        await _submit_some(db, program_id, 400 + n, at, {**rest, **extra}, 3)
    assert await sarana() == (2.5, 8)


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
        at = TRIAL_START + dt.timedelta(hours=n)
        await _submit_some(db, program_id, 100 + n, at, {**rest, "layanan": layanan}, 5)
    page = await _page(db, program_id)
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
        await _submit_some(db, program_id, 100 + n, at, {**rest, **sarana}, 5)
    page = await _page(db, program_id)
    assert "sarana" not in {f.question for f in page.items}  # withheld: one answer
    return program_id


async def test_the_digests_trend_point_counts_only_the_answers_the_page_shows(
    db: Database,
) -> None:
    """The digest's trend takes the mean of every released score of the week, not of the
    figures shown: the page shows five items at 4.0 (n=5, 25 answers), the trend point is
    (25 x 4 + 1) / 26, so 26 x point - 100 = 1 is the one withheld "sarana" answer."""
    program_id = await _withheld_single_answer(db)
    page = await _page(db, program_id)
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
