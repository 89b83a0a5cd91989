"""The flood guard: the limit per minute, one warning, and quiet users forgotten."""

from __future__ import annotations

from bot.handlers.guards import PRUNE_EVERY, WINDOW_SECONDS, FloodGuard


def test_limit_warning_and_recovery() -> None:
    guard = FloodGuard(per_minute=3)
    assert [guard.check(1, now=t) for t in (0, 1, 2, 3, 4)] == ["ok", "ok", "ok", "warn", "drop"]
    assert guard.check(1, now=WINDOW_SECONDS + 1.5) == "ok"


def test_quiet_users_are_forgotten() -> None:
    guard = FloodGuard(per_minute=3)
    for user_id in range(PRUNE_EVERY - 1):
        guard.check(user_id, now=0)
    guard.check(10**9, now=WINDOW_SECONDS + 10)
    assert list(guard._seen) == [10**9]
