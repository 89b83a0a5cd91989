"""Logging: one format, the bot token never printed, no user text from any exception,
chatty libraries kept quiet."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from types import TracebackType

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class PrivateFormatter(logging.Formatter):
    """Tracebacks with every frame and exception type, but no exception message: libraries
    put what they were given into their messages (openpyxl the cell's text, a parser the
    input), and what users write must never reach the log."""

    def formatException(self, ei: ExcInfo) -> str:
        if ei[0] is None or ei[1] is None:
            return ""
        return "".join(_withheld(traceback.TracebackException(ei[0], ei[1], ei[2]))).rstrip()


def _withheld(te: traceback.TracebackException) -> Iterator[str]:
    if te.__cause__ is not None:
        yield from _withheld(te.__cause__)
        yield "\nThe above exception was the direct cause of the following exception:\n\n"
    elif te.__context__ is not None and not te.__suppress_context__:
        yield from _withheld(te.__context__)
        yield "\nDuring handling of the above exception, another exception occurred:\n\n"
    yield "Traceback (most recent call last):\n"
    yield from te.stack.format()
    name = getattr(te, "exc_type_str", None) or getattr(te.exc_type, "__qualname__", "?")
    yield f"{name}: (message withheld)\n"


class RedactToken(logging.Filter):
    """Replaces the token (and the webhook secret) wherever a library puts them in a message
    (URLs, errors)."""

    def __init__(self, token: str | None, *secrets: str | None) -> None:
        super().__init__()
        self.token = token
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token or self.secrets:
            message = record.getMessage()
            changed = message
            if self.token:
                changed = changed.replace(self.token, "<token>")
            for secret in self.secrets:
                changed = changed.replace(secret, "<secret>")
            if changed != message:
                record.msg = changed
                record.args = None
        return True


def setup_logging(level: str, token: str | None, *secrets: str | None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(PrivateFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactToken(token, *secrets))
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
        ("uvicorn.access", logging.WARNING),
        # It logs each 429 as an error with a traceback; Suara handles them (the outbox
        # pauses, the reply is sent again) and logs them itself.
        ("telegram.ext.AIORateLimiter", logging.CRITICAL),
    ):
        logger = logging.getLogger(name)
        # Never louder than the root logger asks for, never below the library's floor.
        floor = max(level, logging.getLogger().getEffectiveLevel())
        if logger.level == logging.NOTSET or logger.level < floor:
            logger.setLevel(floor)
