"""The digest's text and figures follow any scale. A week with a program on a 1-4 form, one on
a 1-7 form, one on the shipped 1-5 form and one mixing 1-4, 1-7 and a yes/no item: each
overall is given on its form's own scale ("dari 4", "dari 7", "dari 5") or, for the mixed
form, as a 0-100 index of positions; bands are set by position (1-5 as always); "low" is the
lower 40% of each scale, so a yes/no item is not flagged for its "no" answers being the
lowest two points; the trend across these programs is an index, one form's trend its scale."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from bot.i18n import Texts
from bot.reports import digest_text
from bot.reports.digest_files import trend_label, workbook_xlsx
from bot.reports.digest_text import render
from bot.services import releases
from bot.services.digest import (
    INDEX,
    REFERENCE,
    Bands,
    ItemStat,
    build,
    combined,
    low_points,
    trend_means,
)
from bot.services.questionnaires import seed_templates
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places
from bot.storage.questionnaires import QuestionnaireTemplate
from tests.services.test_digest import IN_WEEK, ITEMS, TODAY, TZ, WEEK, _program, _respond

YES_NO = {"id": ["Tidak", "Ya"], "en": ["No", "Yes"]}


def _scale(code: str, high: int) -> dict[str, object]:
    labels = YES_NO if high == 2 else {
        "id": [f"Poin {n}" for n in range(1, high + 1)],
        "en": [f"Point {n}" for n in range(1, high + 1)],
    }  # fmt: skip
    return {
        "code": code, "kind": "scale", "min": 1, "max": high, "labels": labels,
        "text": {"id": f"Butir {code}", "en": f"Item {code}"},
    }  # fmt: skip


def _form(code: str, *items: tuple[str, int]) -> dict[str, object]:
    return {
        "code": code,
        "version": 1,
        "title": {"id": f"Formulir {code}", "en": f"Form {code}"},
        "questions": [_scale(item, high) for item, high in items],
    }


# Five answers per item (the minimum), in order of respondents.
FOUR = {"e1": [4, 4, 4, 3, 3], "e2": [3, 3, 3, 2, 2]}  # means 3.6 and 2.6: 3.1 of 4
SEVEN = {"s1": [7, 6, 5, 5, 4], "s2": [1, 2, 3, 6, 7]}  # 5.4 and 3.8: 4.6 of 7
# 1-4: 2.8 (40% at 2 or lower), 1-7: 6.0, yes/no: 1.8 (one "no" of five).
MIXED = {"m1": [2, 2, 3, 3, 4], "m2": [7, 7, 6, 6, 4], "yn": [2, 2, 2, 2, 1]}
SCALES = {"e1": 4, "e2": 4, "s1": 7, "s2": 7, "m1": 4, "m2": 7, "yn": 2}


async def _week(db: Database) -> dict[str, int]:
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        assert unit and unit.id
        forms = {}
        for code, items in (
            ("empat", (("e1", 4), ("e2", 4))),
            ("tujuh", (("s1", 7), ("s2", 7))),
            ("campur", (("m1", 4), ("m2", 7), ("yn", 2))),
        ):
            row = QuestionnaireTemplate(code=code, version=1, definition=_form(code, *items))
            session.add(row)
            await session.flush()
            assert row.id is not None
            forms[code] = row.id
        ends = dt.datetime(2026, 11, 10, 16, 0, tzinfo=TZ)
        # The 1-4 program's previous run, on the same form: every answer 2.
        earlier = await _program(session, unit.id, "Skala Empat", ends - dt.timedelta(days=60))
        four = await _program(session, unit.id, "Skala Empat", ends)
        seven = await _program(session, unit.id, "Skala Tujuh", ends + dt.timedelta(days=1))
        shipped = await _program(session, unit.id, "Skala Lima", ends + dt.timedelta(days=2))
        mixed = await _program(session, unit.id, "Skala Campur", ends + dt.timedelta(days=3))
        runs = ((earlier, "empat"), (four, "empat"), (seven, "tujuh"), (mixed, "campur"))
        for program, form in runs:
            program.template_id = forms[form]
            session.add(program)
        for n in range(5):
            await _respond(
                session, "program", earlier.id, forms["empat"], 400 + n,
                IN_WEEK - dt.timedelta(days=50), {("e1", -1): 2, ("e2", -1): 2},
            )  # fmt: skip
            for program, form, answers in (
                (four, "empat", FOUR), (seven, "tujuh", SEVEN), (mixed, "campur", MIXED),
            ):  # fmt: skip
                scores = {(code, -1): points[n] for code, points in answers.items()}
                await _respond(
                    session, "program", program.id, forms[form], 500 + n, IN_WEEK, scores
                )  # fmt: skip
            await _respond(
                session, "program", shipped.id, shipped.template_id, 500 + n, IN_WEEK,
                {(q, -1): 4 for q in ITEMS},
            )  # fmt: skip
        await releases.catch_up(session, minimum=5)
        await session.commit()
        return {"unit": unit.id, "four": four.id or 0}


async def test_a_week_of_a_four_a_seven_a_five_and_a_mixed_point_form(db: Database) -> None:
    ids = await _week(db)
    async with db.session() as session:
        digest = await build(
            session, scope=[ids["unit"]], period=WEEK, tz=TZ, today=TODAY, min_responses=5
        )
        alone = await build(
            session, scope=[ids["unit"]], period=WEEK.previous(7), tz=TZ, today=TODAY,
            min_responses=5,
        )  # fmt: skip
    four, seven, shipped, mixed = digest.programs
    assert [p.title for p in digest.programs] == [
        "Skala Empat", "Skala Tujuh", "Skala Lima", "Skala Campur",
    ]  # fmt: skip
    # Each overall on its form's own scale; the mixed form's as the 0-100 index.
    assert (four.scale, round(four.overall or 0, 3)) == ((1, 4), 3.1)
    assert (seven.scale, round(seven.overall or 0, 3)) == ((1, 7), 4.6)
    assert (shipped.scale, shipped.overall) == (REFERENCE, 4.0)
    places = [(2.8 - 1) / 3, (6.0 - 1) / 6, (1.8 - 1) / 1]
    assert mixed.scale == INDEX
    assert abs((mixed.overall or 0) - sum(places) / 3 * 100) < 1e-9  # 74.44
    # Bands by position: 3.1 of 4 is 70% of the range (a 1-5 mean of 3.8: baik); 4.6 of 7
    # is 60% (3.40 of 1-5: just under baik).
    assert [p.band for p in digest.programs] == ["good", "fair", "good", "good"]
    # Compared with the previous run on the same form: 2.0 of 4 then.
    assert four.compared_with == "run" and four.previous_overall == 2.0
    assert round(four.items[0].change or 0, 3) == 1.6
    # Low = at or below 40% of the range: 1-2 of 1-4, 1-3 of 1-7, the "no" of a yes/no.
    low = {
        (i.code): (i.low_points, round(i.low_share, 2)) for p in digest.programs for i in p.items
    }
    assert low["e2"] == (2, 0.4) and low["s2"] == (3, 0.6) and low["yn"] == (1, 0.2)
    assert low["m1"] == (2, 0.4) and low["s1"] == (3, 0.0)
    assert four.flags == [("e2", -1)] and seven.flags == [("s2", -1)]
    assert mixed.flags == [("m1", -1)] and shipped.flags == []  # the yes/no item is not

    # The trend across forms of different scales: every answer's position, as the index.
    assert digest.trend_scale == INDEX
    answers = [(p, SCALES[c]) for a in (FOUR, SEVEN, MIXED) for c, ps in a.items() for p in ps]
    answers += [(4, 5)] * 5 * len(ITEMS)
    expected = sum((p - 1) / (high - 1) for p, high in answers) / len(answers) * 100
    *before, week = [mean for _, _, mean in digest.trend]
    assert week is not None and abs(week - expected) < 1e-9
    # The first of the 8 weeks holds the previous run (all 2 of 1-4): on the same index.
    assert abs((before[0] or 0) - 100 / 3) < 1e-9 and before[1:] == [None] * 6
    # A trend of one form alone is on its scale: the week of the previous run, 2 of 4.
    assert alone.trend_scale == (1, 4)
    assert [mean for _, _, mean in alone.trend if mean is not None] == [2.0]

    t_id = Texts("id", TZ).for_language("id")
    t_en = Texts("en", TZ).for_language("en")
    text = render(digest, t_id, {ids["unit"]: "Dukcapil"})
    assert (
        "Nilai keseluruhan: <b>3,1</b> dari 4 – baik ▲+1,1 (dibanding angkatan sebelumnya)" in text
    )
    assert "Nilai keseluruhan: <b>4,6</b> dari 7 – cukup" in text
    assert "Nilai keseluruhan: <b>4</b> dari 5 – baik" in text
    assert "Nilai keseluruhan: <b>74,44</b> (indeks 0-100, butir berskala berbeda) – baik" in text
    # The items of a form of one scale are bare (the overall says the scale); mixed: each's.
    assert "• Butir e1: 3,6 ▲+1,6 (n=5)" in text
    assert "• Butir m1: 2,8/4 (n=5)" in text and "• Butir yn: 1,8/2 (n=5)" in text
    assert "• Butir m2: 6/7 (n=5)" in text
    assert "⚠️ Butir e2: 40% memberi nilai 2 atau kurang" in text
    assert "⚠️ Butir s2: 60% memberi nilai 3 atau kurang" in text
    assert "Butir yn: 20%" not in text and "Butir s1: 0%" not in text
    english = render(digest, t_en, {ids["unit"]: "Dukcapil"})
    assert "Overall: <b>3.1</b> of 4 – good" in english
    assert "Overall: <b>74.44</b> (index 0-100, items on different scales) – good" in english
    assert "⚠️ Item s2: 60% rated 3 or lower" in english
    # The chart and the workbook say what the trend's means are.
    assert trend_label(digest, t_id) == "rata-rata pelatihan (indeks 0-100)"
    assert trend_label(alone, t_en) == "training mean (scale 1-4)"
    book = load_workbook(io.BytesIO(workbook_xlsx(digest, t_id, {}, [])))
    trend = list(book[t_id("digest.x_sheet_trend")].iter_rows(values_only=True))
    assert abs(float(trend[-1][2] or 0) - expected) < 1e-6  # type: ignore[arg-type]


async def test_many_programs_of_different_scales_are_ranked_by_position(db: Database) -> None:
    """An admin's week lists each program in one line: ranked by their place on their own
    scale (3.1 of 4 is above 4.6 of 7), each score with its scale since they differ."""
    ids = await _week(db)
    async with db.session() as session:
        digest = await build(session, scope=None, period=WEEK, tz=TZ, today=TODAY, min_responses=5)
    t_id = Texts("id", TZ).for_language("id")
    many = digest_text._program_lines(t_id, digest, {ids["unit"]: "Dukcapil"})
    lines = many.splitlines()[1:]
    assert [line.split("</b>")[0].split("<b>")[-1] for line in lines] == [
        "Skala Tujuh", "Skala Empat", "Skala Campur", "Skala Lima",
    ]  # fmt: skip
    assert "4,6/7 cukup" in lines[0] and "3,1/4 baik" in lines[1]
    assert "74,44 (indeks 0-100) baik" in lines[2] and "4/5 baik" in lines[3]


def test_the_rules_on_their_own() -> None:
    """The bands on 1-5 are today's exactly; elsewhere by position; low points per scale."""
    bands = Bands()
    for mean, band in ((4.21, "very_good"), (4.2099, "good"), (3.41, "good"), (2.61, "fair")):
        assert bands.of(mean) == band and bands.of(mean, REFERENCE) == band
    assert bands.of(2.6099) == "poor"
    assert bands.of(80.25, INDEX) == "very_good" and bands.of(80.2, INDEX) == "good"
    assert bands.of(1, (1, 2)) == "poor" and bands.of(2, (1, 2)) == "very_good"
    assert [low_points((1, high)) for high in range(2, 11)] == [1, 1, 2, 2, 3, 3, 3, 4, 4]
    assert low_points((0, 10)) == 5 and low_points((1, 5)) == 2
    # A yes/no item answered "yes" by four of five is not a low item.
    yes_no = ItemStat("yn", -1, (1, 4), low=1)
    assert yes_no.low_share == 0.2 and yes_no.low_top == 1
    assert combined([(3.0, (1, 4)), (4.0, (1, 4))]) == (3.5, (1, 4))
    assert combined([(4.0, (1, 4)), (1.0, (1, 7))]) == (50.0, INDEX)
    assert combined([]) is None
    # Weeks (or months) of (program, item, sum of scores, answers): one scale, or the index.
    scales = {1: {"a": (1, 4)}, 2: {"b": (1, 7)}}
    assert trend_means([[(1, "a", 6.0, 2)], [], [(1, "a", 4.0, 1)]], scales) == (
        [3.0, None, 4.0], (1, 4),
    )  # fmt: skip
    means, scale = trend_means([[(1, "a", 6.0, 2)], [(2, "b", 7.0, 1), (9, "x", 5, 1)]], scales)
    assert scale == INDEX and [round(m or 0, 2) for m in means] == [66.67, 100.0]
    assert trend_means([[]], scales) == ([None], REFERENCE)
