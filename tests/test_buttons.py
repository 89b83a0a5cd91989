"""The button codec: what it packs it parses back; anything else is None ("no longer valid")."""

from __future__ import annotations

import dataclasses

import pytest

from bot.buttons import (
    ButtonData,
    ComplaintAction,
    FlowStep,
    Inbox,
    Language,
    Menu,
    NewProgram,
    Rate,
    kind_of,
)


@pytest.mark.parametrize(
    "button",
    [
        ComplaintAction(12, "verify"),
        FlowStep("c", "place", "p3", 0),
        FlowStep("q", "q", "10.5", 123456789),
        Inbox("menunggu", 4),
        Language("en"),
        Menu("lapor"),
        NewProgram(),
        Rate(99, 5),
    ],
)
def test_what_is_packed_parses_back(button: ButtonData) -> None:
    data = button.pack()
    assert len(data.encode()) <= 64
    assert type(button).parse(data) == button
    assert kind_of(data) is type(button)
    assert type(button).pattern().match(data)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "ax:12",  # a field missing
        "ax:12:verify:extra",  # a field too many
        "ax:-1:verify",  # negative
        "ax:0012:verify",  # leading zeros: never packed so
        "ax:" + "9" * 40 + ":verify",  # past a BIGINT
        "ax:12:delete",  # not one of the actions
        "ax:12:VERIFY",
        "ax:١٢:verify",  # Arabic-Indic digits pass str.isdigit(), not the codec
        "ab:12:verify",  # another kind's prefix
        "ax:12:verify" + "x" * 60,  # over 64 bytes
    ],
)
def test_anything_else_is_none(data: str | None) -> None:
    assert ComplaintAction.parse(data) is None


def test_flow_values_are_tokens_only() -> None:
    assert FlowStep.parse("f:c:cat:3:0") == FlowStep("c", "cat", "3", 0)
    assert FlowStep.parse("f:c:cat:<b>:0") is None
    assert FlowStep.parse("f:c:cat:3") is None
    with pytest.raises(ValueError):
        FlowStep("c", "cat", "a:b", 0).pack()
    with pytest.raises(ValueError):
        Rate(-1, 5).pack()


def test_a_prefix_cannot_be_declared_twice() -> None:
    with pytest.raises(ValueError):

        @dataclasses.dataclass(frozen=True)
        class Again(ButtonData, prefix="ax"):
            complaint: int
