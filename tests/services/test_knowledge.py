"""The knowledge test's arithmetic: Hake's normalized gain from class means, and a score."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from bot.services.knowledge import normalized_gain, score_of, scored
from bot.services.questionnaires import TEMPLATES_DIR, Template

EXAMPLE = Template.model_validate(
    json.loads((TEMPLATES_DIR / "uji_prima.json").read_text("utf-8"))
)


def test_the_gain_is_the_share_of_the_possible_gain_achieved() -> None:
    assert normalized_gain(40.0, 70.0) == pytest.approx(0.5)
    assert normalized_gain(0.0, 100.0) == pytest.approx(1.0)
    assert normalized_gain(50.0, 50.0) == pytest.approx(0.0)
    # A class that knew less afterwards has a negative gain, not a hidden one.
    assert normalized_gain(60.0, 40.0) == pytest.approx(-0.5)


def test_no_gain_when_none_was_possible_or_a_mean_is_withheld() -> None:
    assert normalized_gain(100.0, 100.0) is None
    assert normalized_gain(100.0, 80.0) is None
    assert normalized_gain(None, 80.0) is None
    assert normalized_gain(40.0, None) is None


def test_a_score_counts_the_right_choices_and_a_missing_one_as_wrong() -> None:
    assert len(scored(EXAMPLE)) == 5
    right = {q.code: next(o.code for o in q.options if o.correct) for q in EXAMPLE.questions}
    assert score_of(EXAMPLE, right).percent == 100.0
    two = dict(list(right.items())[:2])
    assert (score_of(EXAMPLE, two).right, score_of(EXAMPLE, two).total) == (2, 5)
    assert score_of(EXAMPLE, {code: "zz" for code in right}).right == 0


def test_a_question_with_two_correct_options_is_refused() -> None:
    definition = json.loads((TEMPLATES_DIR / "uji_prima.json").read_text("utf-8"))
    for option in definition["questions"][0]["options"]:
        option["correct"] = True
    with pytest.raises(ValidationError, match="one correct option"):
        Template.model_validate(definition)


def test_the_right_answers_survive_xlsform_export_and_import() -> None:
    from bot.services import xlsform

    again = xlsform.read_workbook(xlsform.write_workbook(EXAMPLE))
    assert again == EXAMPLE
    assert [o.code for q in scored(again) for o in q.options if o.correct] == [
        "a", "a", "b", "a", "c",
    ]  # fmt: skip
