"""Settings: defaults, normalised URLs, and one clear line with status 2 for a bad value."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.config import Settings


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BOT_TIMEZONE", "Mars/Olympus"),
        ("BOT_ADMIN_IDS", "12,abc"),
        ("BOT_DEFAULT_LANGUAGE", "fr"),
        ("DATABASE_URL", "mysql://x"),
        ("TELEGRAM_BOT_TOKEN", "changeme"),
        ("LOG_LEVEL", "LOUD"),
        # An empty path is a temporary database: everything lost at the next start.
        ("DATABASE_URL", "sqlite:///"),
        ("DATABASE_URL", "sqlite+aiosqlite://"),
        ("DATABASE_URL", "sqlite:///:memory:"),
        # No category: the complaint flow could not be finished.
        ("COMPLAINT_CATEGORIES", " , ,"),
        ("SENDING_HOURS", "20:00-08:00"),
        ("FEEDBACK_REMINDER_HOURS", "24,48,72"),
    ],
)
def test_an_invalid_setting_stops_with_one_line_naming_it(name: str, value: str) -> None:
    result = _run({name: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Configuration error: {name}:")


def test_the_token_never_appears_in_an_error() -> None:
    result = _run({"TELEGRAM_BOT_TOKEN": "12345secret-no-colon"})
    assert result.returncode == 2 and "12345secret" not in result.stderr


def test_defaults_and_normalisation() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL="postgresql://u@h/db",
        BOT_ADMIN_IDS="1, 2,3",
        LOCAL_HOLIDAYS="2026-12-24",
    )
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert settings.bot_admin_ids == [1, 2, 3]
    assert settings.bot_timezone == "Asia/Jakarta" and settings.bot_default_language == "id"
    assert str(settings.local_holidays[0]) == "2026-12-24"
    assert settings.telegram_api_base_url == "https://api.telegram.org"
