"""The flood guard's rule: the limit per minute, one warning, then silence while it goes on."""

from __future__ import annotations

from bot.handlers.guards import flood_verdict


def test_limit_warning_and_silence() -> None:
    # `recent` counts the user's updates of the last minute before this one, dropped ones too.
    assert [flood_verdict(recent, per_minute=3) for recent in range(6)] == [
        "ok",
        "ok",
        "ok",
        "warn",
        "drop",
        "drop",
    ]
