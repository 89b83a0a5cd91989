"""The digest's chart and workbook follow the form's scales: a form mixing a 1-4 and a 1-7
rating draws each bar on its own points, with a legend per scale in the form's words (the
fewest points first), an axis that says "each item's own scale" rather than "1-5", each mean
out of its own top point, the items in the form's order (sections in order); the workbook
has the 1-4 and 1-7 columns it needs, never a "5" the form does not have."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace

from openpyxl import load_workbook
from PIL import Image

from bot.i18n import Texts
from bot.reports.digest_files import (
    COLOURS,
    _colours,
    chart_axis_label,
    chart_figure,
    chart_legends,
    chart_png,
    charted_programs,
    workbook_xlsx,
)
from bot.reports.feedback_export import program_workbook
from bot.services import releases
from bot.services.digest import build
from bot.services.questionnaires import seed_templates
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places
from bot.storage.questionnaires import QuestionnaireTemplate
from tests.services.test_digest import IN_WEEK, TODAY, TZ, WEEK, _program, _respond

FOUR = {"id": ["Buruk", "Kurang", "Baik", "Sangat baik"], "en": ["Bad", "Poor", "Good", "Great"]}
SEVEN_ID = ["Sangat tidak setuju", "Tidak setuju", "Agak tidak setuju", "Netral", "Agak setuju",
            "Setuju", "Sangat setuju"]  # fmt: skip
SEVEN_EN = ["Strongly disagree", "Disagree", "Somewhat disagree", "Neutral", "Somewhat agree",
            "Agree", "Strongly agree"]  # fmt: skip


def _form() -> dict[str, object]:
    def scale(code: str, words: dict[str, list[str]], section: str) -> dict[str, object]:
        return {
            "code": code, "kind": "scale", "min": 1, "max": len(words["id"]), "labels": words,
            "text": {"id": f"Butir {code}", "en": f"Item {code}"},
            "section": {"id": section, "en": section},
        }  # fmt: skip

    return {
        "code": "campuran",
        "version": 1,
        "title": {"id": "Skala campuran", "en": "Mixed scales"},
        "questions": [
            scale("b1", FOUR, "Bagian A"),
            scale("b2", {"id": SEVEN_ID, "en": SEVEN_EN}, "Bagian B"),
            scale("b3", FOUR, "Bagian B"),
        ],
    }


async def test_a_digest_of_a_four_and_a_seven_point_scale_is_drawn_on_each_ones_points(
    db: Database,
) -> None:
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        assert unit and unit.id
        row = QuestionnaireTemplate(code="campuran", version=1, definition=_form())
        session.add(row)
        await session.flush()
        assert row.id is not None
        ends = dt.datetime(2026, 11, 14, 16, 0, tzinfo=TZ)
        program = await _program(session, unit.id, "Skala Campuran", ends)
        program.template_id = row.id
        session.add(program)
        for n in range(5):
            scores = {("b1", -1): 1 + n % 4, ("b2", -1): 7 - n, ("b3", -1): 4}
            await _respond(
                session, "program", program.id, row.id, 300 + n, IN_WEEK, scores
            )  # fmt: skip
        await releases.catch_up(session, minimum=5)
        await session.commit()
        digest = await build(session, scope=None, period=WEEK, tz=TZ, today=TODAY, min_responses=5)
        assert program.id is not None
        answers, _ = await program_workbook(
            session, tz=TZ, program_id=program.id, t=Texts("id", TZ).for_language("id")
        )
    # The program's export heads each rating with its own scale.
    header = next(load_workbook(io.BytesIO(answers)).worksheets[0].iter_rows(values_only=True))
    assert header[3:] == ("Butir b1 (1-4)", "Butir b2 (1-7)", "Butir b3 (1-4)")
    (found,) = digest.programs
    assert [(i.code, i.low, i.high) for i in found.items] == [
        ("b1", 1, 4), ("b2", 1, 7), ("b3", 1, 4),
    ]  # fmt: skip
    assert found.items[1].counts == (0, 0, 1, 1, 1, 1, 1)

    t_id, t_en = Texts("id", TZ).for_language("id"), Texts("en", TZ).for_language("en")
    shown = charted_programs(digest)
    legends = chart_legends(shown, t_id)
    assert [legend.title for legend in legends] == ["Skala 1-4", "Skala 1-7"]
    four, seven = ([label.replace("\n", " ") for _, label in lg.entries] for lg in legends)
    assert four == ["1 Buruk", "2", "3", "4 Sangat baik"]
    assert seven == [
        "1 Sangat tidak setuju", "2", "3", "4", "5", "6", "7 Sangat setuju",
    ]  # fmt: skip
    # An even scale has no grey middle; an odd one has; the 1-5 palette is unchanged.
    assert [colour for colour, _ in legends[0].entries] == _colours(4)
    assert COLOURS[2] not in _colours(4) and _colours(7)[3] == COLOURS[2]
    assert _colours(5) == list(COLOURS) and len(set(_colours(10))) == 10
    english = [label for _, label in chart_legends(shown, t_en)[1].entries]
    assert english[0].replace("\n", " ") == "1 Strongly disagree"
    axis = chart_axis_label(shown, t_en)
    assert "1-5" not in axis and "each item's own scale" in axis

    fig = chart_figure(digest, t_id)
    try:
        panel = fig.axes[0]
        labels = [tick.get_text() for tick in panel.get_yticklabels()][::-1]
        assert labels == ["Butir b1", "Butir b2", "Butir b3"]
        means = sorted(text.get_text() for text in panel.texts)
        assert means == ["2,2/4 (n=5)", "4/4 (n=5)", "5/7 (n=5)"]
        assert [len(legend.get_texts()) for legend in fig.legends] == [4, 7]
        assert "1-5" not in panel.get_xlabel()
    finally:
        from matplotlib import pyplot as plt

        plt.close(fig)
    png = chart_png(digest, t_id)
    image = Image.open(io.BytesIO(png))
    # A phone's chart: about a thousand pixels wide, taller for the two legends.
    assert image.format == "PNG" and 800 <= image.width <= 1200 and image.height >= 600

    book = load_workbook(io.BytesIO(workbook_xlsx(digest, t_id, {}, [])))
    rows = list(book["Pelatihan"].iter_rows(values_only=True))
    header = list(rows[0])
    # Scores 1 to 7, as the widest scale has; a 1-4 item leaves 5-7 empty.
    assert header[-8:] == ["Skala", *(f"Nilai {n}" for n in range(1, 8))]
    by_item = {r[2]: r for r in rows[1:]}
    assert by_item["Butir b1"][-8:] == ("1-4", 2, 1, 1, 1, None, None, None)
    assert by_item["Butir b2"][-8:] == ("1-7", 0, 0, 1, 1, 1, 1, 1)

    # One scale alone: its own range on the axis, one legend.
    only_four = replace(shown[0], items=[shown[0].items[0], shown[0].items[2]])
    assert "skala 1-4" in chart_axis_label([only_four], t_id)
    assert len(chart_legends([only_four], t_id)) == 1
