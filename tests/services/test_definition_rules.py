"""The definition's own rules, which the XLSForm import and the workspace's editor share:
scales of up to eleven points (0..10), at most ITEMS_MAX items, a condition only on a value
its item can take, and `{instructor}` only in an item asked per instructor."""

from __future__ import annotations

import pytest

from bot.services.questionnaires import (
    ITEMS_MAX,
    SCALE_POINTS_MAX,
    Condition,
    Localized,
    Question,
    Relevance,
    Template,
)


def _scale(code: str, low: int = 1, high: int = 5, **more: object) -> Question:
    labels = {language: [str(n) for n in range(low, high + 1)] for language in ("id", "en")}
    words = more.pop("text", Localized(id=f"Butir {code}", en=f"Item {code}"))
    return Question(code=code, kind="scale", text=words, min=low, max=high, labels=labels, **more)


def _form(*questions: Question) -> Template:
    return Template(code="uji", version=1, title=Localized(id="Uji", en="Test"),
                    questions=list(questions))  # fmt: skip


def test_a_zero_to_ten_scale_is_a_scale_and_twelve_points_are_not() -> None:
    assert SCALE_POINTS_MAX == 11
    assert _scale("nps", 0, 10).max == 10
    with pytest.raises(ValueError, match="points"):
        _scale("besar", 0, 11)


def test_a_form_has_at_most_items_max_items() -> None:
    assert len(_form(*(_scale(f"b{n}") for n in range(ITEMS_MAX))).questions) == ITEMS_MAX
    with pytest.raises(ValueError, match="at most"):
        _form(*(_scale(f"b{n}") for n in range(ITEMS_MAX + 1)))


def test_a_condition_names_a_value_its_item_can_take() -> None:
    def asked_when(value: str) -> Template:
        when = Relevance(conditions=[Condition(on="ulang", value=value)])
        return _form(_scale("ulang"), _scale("nilai", relevant=when))

    assert asked_when("3").questions[1].relevant is not None
    with pytest.raises(ValueError, match="no value"):
        asked_when("9")


def test_the_instructors_name_only_in_an_item_asked_per_instructor() -> None:
    named = Localized(id="Penguasaan materi oleh {instructor}", en="{instructor}'s mastery")
    assert _scale("pengajar", text=named, per_instructor=True).per_instructor
    with pytest.raises(ValueError, match="per-instructor"):
        _scale("pengajar", text=named)
