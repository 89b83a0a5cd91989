"""One week's digest for a scope, read once for every door that shows it.

The weekly job's message, chart and workbook (bot/jobs/digest.py) and the workspace's week page
(bot/web/reports.py) both take a `Week` from here: the same `digest.build` with the same
settings (bands, populations, today) and the same unit names, so a number on the page is the
number in the message. `for_caller` is the door's entry: it refuses anyone but an organizer or
an admin and reads only the units the caller handles (an admin: all of them).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import Access, Need
from bot.services.complaints import unit_label
from bot.services.digest import Bands, Digest, Period, build
from bot.services.errors import Refused
from bot.storage.places import place_by_code

if TYPE_CHECKING:
    from bot.core import Core

RECENT_WEEKS = 12
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Week:
    digest: Digest
    units: dict[int, str]  # every unit the digest mentions -> its label

    @property
    def quiet(self) -> bool:
        """Nothing happened and nothing is open: the digest is one line, without files."""
        return self.digest.empty and not self.digest.complaints.open_total


async def populations(session: AsyncSession, core: Core) -> dict[int, int]:
    """UNIT_POPULATIONS by unit id, for the IKM's Krejcie-Morgan minimum."""
    found: dict[int, int] = {}
    for code, population in core.settings.unit_populations.items():
        place = await place_by_code(session, code)
        if place is not None and place.id is not None:
            found[place.id] = population
    return found


async def _labels(session: AsyncSession, digest: Digest) -> dict[int, str]:
    ids = {p.unit_id for p in digest.programs}
    c = digest.complaints
    ids |= {u for u, _ in c.new_by_unit} | {u for u, _ in c.open_by_unit}
    ids |= {o.unit_id for o in c.overdue} | {need[0] for need in c.training_needs}
    return {unit_id: await unit_label(session, unit_id) for unit_id in sorted(ids)}


async def read(
    session: AsyncSession, core: Core, *, scope: list[int] | None, period: Period
) -> Week:
    """The week's digest of `scope` (None: every unit) with its unit names; writes nothing."""
    settings = core.settings
    digest = await build(
        session,
        scope=scope,
        period=period,
        tz=settings.tz,
        today=core.moment().today,
        min_responses=settings.feedback_min_responses,
        bands=Bands(*settings.digest_bands),
        populations=await populations(session, core),
    )
    return Week(digest, await _labels(session, digest))


async def for_caller(
    session: AsyncSession, core: Core, *, caller: Access, week: str | None
) -> Week:
    """The week asked for (see `parse_week`) as the caller gets it in the chat: the digest of
    their units, or of all of them for an admin."""
    caller.require(Need.ORGANIZER)
    period = parse_week(week, core.moment().today)
    return await read(session, core, scope=caller.unit_scope(), period=period)


def file_stem(period: Period) -> str:
    return f"suara-{period.label}"


def recent(today: dt.date, count: int = RECENT_WEEKS) -> list[Period]:
    """This week so far, then the finished weeks before it, newest first."""
    this_week = Period.containing(today)
    return [this_week.previous(back) for back in range(count)]


def parse_week(text: str | None, today: dt.date) -> Period:
    """An ISO week (2026-W47) or a day in it (2026-11-18); none given: last week, the one
    the weekly digest covers. A week after this one, or one that does not exist, is refused."""
    this_week = Period.containing(today)
    given = (text or "").strip()[:20]
    if not given:
        return this_week.previous()
    try:
        match = _ISO_WEEK.match(given)
        if match:
            period = Period(dt.date.fromisocalendar(int(match[1]), int(match[2]), 1))
        elif _DAY.match(given):
            period = Period.containing(dt.date.fromisoformat(given))
        else:
            raise ValueError(given)
    except ValueError:
        raise Refused("reportsweb.bad_week", given=given) from None
    if period.monday > this_week.monday or period.monday.year < 2000:
        raise Refused("reportsweb.bad_week", given=given)
    return period
