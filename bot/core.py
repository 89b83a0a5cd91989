"""The application core: what every door shares, built once by `build_core`.

The chat application (bot/app.py), the webhook workers, the jobs, the command-line tools and
the web workspace all hold one `Core`: the settings, the database, the texts, one clock, the
working-day calendar and the sentiment analyzer. Nothing here knows python-telegram-bot; the
services take the core's parts and the caller (`bot.services.access.Access`), and a door only
parses input, calls a service and renders what it returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.config import Settings
from bot.i18n import Texts
from bot.services.deadlines import Clock, WorkingCalendar
from bot.storage.db import Database
from bot.storage.types import utcnow

Sentiment = Callable[[str], tuple[str, float]]


@dataclass
class Core:
    settings: Settings
    db: Database
    texts: Texts
    calendar: WorkingCalendar
    sentiment: Sentiment | None = None
    # What time it is for everything (deadlines, windows, digests, audit); tests move it.
    clock: Callable[[], dt.datetime] = field(default=utcnow)

    def moment(self) -> Clock:
        """Now, today in the deployment's zone, and its working days."""
        return Clock(self.settings.tz, self.calendar, self.clock())

    async def close(self) -> None:
        await self.db.dispose()


def build_core(settings: Settings, *, db: Database | None = None, analyzer: bool = True) -> Core:
    """The one factory: every entry point builds its core here."""
    sentiment: Sentiment | None = None
    if analyzer:
        from bot.analysis.sentiment import sentiment_of

        sentiment = sentiment_of
    from bot.services.menu import workspace_url

    texts = Texts(settings.bot_default_language, settings.tz)
    texts.web_app_base = workspace_url(settings)
    return Core(
        settings=settings,
        db=db or Database(settings.database_url, pool_size=settings.database_pool_size),
        texts=texts,
        calendar=WorkingCalendar(settings.local_holidays),
        sentiment=sentiment,
    )
