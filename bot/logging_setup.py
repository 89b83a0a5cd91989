"""Logging: one format, the bot token never printed, chatty libraries kept quiet."""

from __future__ import annotations

import logging


class RedactToken(logging.Filter):
    """Replaces the token wherever a library puts it in a message (URLs, errors)."""

    def __init__(self, token: str | None) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token:
            message = record.getMessage()
            if self.token in message:
                record.msg = message.replace(self.token, "<token>")
                record.args = None
        return True


def setup_logging(level: str, token: str | None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactToken(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_libraries()


def quiet_libraries() -> None:
    """Library debug logs carry what must not be logged: httpx puts the token in every URL,
    PTB logs whole requests and updates, aiosqlite every SQL parameter (chat ids of
    anonymous reporters, their words).
    Even with LOG_LEVEL=DEBUG these stay at INFO or above; Suara's own debug logs do not."""
    for name, level in (
        ("httpx", logging.WARNING),
        ("httpcore", logging.WARNING),
        ("telegram", logging.INFO),
        ("apscheduler", logging.WARNING),
        ("aiosqlite", logging.INFO),
        ("sqlalchemy", logging.WARNING),
        ("aiohttp.access", logging.WARNING),
    ):
        logger = logging.getLogger(name)
        # Never louder than the root logger asks for, never below the library's floor.
        floor = max(level, logging.getLogger().getEffectiveLevel())
        if logger.level == logging.NOTSET or logger.level < floor:
            logger.setLevel(floor)
