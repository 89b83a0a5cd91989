"""The IKM per unit and period, and its course over the year, for the workspace's report page.

The period's figures are the SKM report's (`skm_report.compute`, the same numbers as the files
the chat's /laporanskm sends); the months are the public statistics' (`public.unit_statistics`,
withheld below FEEDBACK_MIN_RESPONSES); the SKM ratings and the training scores alike are made
of released answers only, counted in the month their block was released
(bot/services/releases.py), so any two figures on the page differ by whole blocks of
respondents.

Only finished periods are shown: a period still running would move between two visits (by a
whole block, but the page's figures are meant to stand still). An organizer sees the units
they handle, an admin every unit; another unit's code is "not found", as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Translator
from bot.services import digest, public, releases, skm_report
from bot.services.access import Access, Need
from bot.services.errors import NotFound, Refused
from bot.services.skm_report import Period, SkmReport
from bot.storage.places import LEVEL_UNIT, Place, all_units, place_by_code, unit_labels
from bot.storage.programs import Program
from bot.storage.questionnaires import PROGRAM_SUBJECT, RESPONSE_SUBMITTED, Answer, Response

if TYPE_CHECKING:
    from bot.core import Core

FILE_KINDS = {"xlsx": "skm_report_xlsx", "pdf": "skm_report_pdf"}


@dataclass(frozen=True)
class Month:
    """One finished month of a unit; None: withheld (too few), shown as an empty figure."""

    month: Period
    ikm: float | None  # 25-100
    surveys: int | None  # SKM respondents behind the IKM, when it is shown
    training: float | None  # mean of the released training answers, on `IkmPage.scale`
    answers: int | None  # released training questionnaires behind it, when it is shown


@dataclass
class IkmPage:
    unit_id: int
    unit_code: str
    units: list[tuple[str, str]]  # (code, label) of every unit the caller may choose
    report: SkmReport
    months: list[Month]  # the last twelve finished months, oldest first
    periods: list[Period]  # the finished periods to choose from
    # The training means' scale: the forms' one when the year's answers share it, else the
    # 0-100 index of the answers' positions on their items' scales (digest.combined's rule).
    scale: digest.Scale = digest.REFERENCE


async def _units(session: AsyncSession, caller: Access) -> list[tuple[Place, str]]:
    """The units the caller may choose, with their labels, in the labels' order."""
    labels = await unit_labels(session)
    places = {u.id: u for u in await all_units(session)}
    if not caller.admin:
        places = {i: u for i, u in places.items() if i in caller.units}
    return [(places[i], label) for i, label in labels.items() if i in places]


async def _chosen_unit(
    session: AsyncSession, caller: Access, code: str | None, units: list[tuple[Place, str]]
) -> Place:
    """The unit asked for by its code, else the first one the caller handles."""
    if not code:
        if not units:
            raise Refused("reportsweb.no_units")
        return units[0][0]
    place = await place_by_code(session, code.strip()[:32])
    if place is None or place.id is None or place.level != LEVEL_UNIT:
        raise NotFound("reportsweb.unknown_unit", code=code[:32])
    if not caller.handles(place.id):
        raise NotFound("reportsweb.unknown_unit", code=code[:32])
    return place


def _finished(core: Core, text: str | None) -> Period:
    """The period asked for (2026-S1, 2026-03, 2026), else the last finished half-year;
    one not yet over is refused."""
    today = core.moment().today
    if not text:
        return Period(today.year - 1, 2) if today.month <= 6 else Period(today.year, 1)
    try:
        chosen = Period.parse(text[:20], months=True)
    except Refused:
        raise Refused("reportsweb.bad_period", given=text[:20]) from None
    if chosen.end > today:
        raise Refused("reportsweb.period_running", period=chosen.code)
    return chosen


async def _open(
    session: AsyncSession, core: Core, caller: Access, unit_code: str | None, period: str | None
) -> tuple[Place, Period, list[tuple[Place, str]]]:
    caller.require(Need.ORGANIZER)
    units = await _units(session, caller)
    place = await _chosen_unit(session, caller, unit_code, units)
    return place, _finished(core, period), units


async def page(
    session: AsyncSession,
    core: Core,
    *,
    caller: Access,
    unit_code: str | None,
    period: str | None,
    t: Translator,
) -> IkmPage:
    """The unit's IKM for the period and the last twelve finished months; reads only."""
    place, chosen, units = await _open(session, core, caller, unit_code, period)
    assert place.id is not None
    report = await skm_report.compute(session, core, unit_id=place.id, period=chosen.code, t=t)
    today = core.moment().today
    found = [
        await _month(session, core, place.id, month)
        for month in reversed(skm_report.finished_months(today))
    ]
    # One scale for the whole year, so the line is one line (the digest's trend's rule).
    used = [sums for _, sums in found]
    means, scale = digest.trend_means(used, await digest.scales_of(session, _programs_of(used)))
    months = [
        replace(month, training=mean if month.training is not None else None)
        for (month, _), mean in zip(found, means, strict=True)
    ]
    return IkmPage(
        unit_id=place.id,
        unit_code=place.code,
        units=[(u.code, label) for u, label in units],
        report=report,
        months=months,
        periods=[chosen, *(p for p in skm_report.finished_periods(today) if p != chosen)],
        scale=scale,
    )


def _programs_of(used: list[list[tuple[int, str, float, int]]]) -> set[int]:
    return {program_id for sums in used for program_id, *_ in sums}


async def file_params(
    session: AsyncSession,
    core: Core,
    *,
    caller: Access,
    unit_code: str | None,
    period: str | None,
    suffix: str,
) -> tuple[str, dict[str, Any]]:
    """Checks a download of the SKM report as a file (`xlsx` or `pdf`) and audits it as the
    chat's /laporanskm does; returns the builder's kind and params (bot/reports/builders.py)."""
    kind = FILE_KINDS.get(suffix)
    if kind is None:
        raise NotFound()
    place, chosen, _units = await _open(session, core, caller, unit_code, period)
    caller.audit(session, "report_skm", "unit", place.id, detail=chosen.code)
    return kind, {"unit_id": place.id, "period": chosen.code}


async def _month(
    session: AsyncSession, core: Core, unit_id: int, month: Period
) -> tuple[Month, list[tuple[int, str, float, int]]]:
    """The month's IKM as the public page shows it, and its released training scores: the
    month (its `training` any number when shown, set by `page` on the year's scale) and the
    scores' sums per (program, item), none when withheld."""
    figures = await public.unit_statistics(session, core, unit_id, month)
    sums, answers = await _training(session, core, unit_id, month)
    shown = skm_report.shown(answers, [answers], core.settings.feedback_min_responses)
    found = Month(
        month=month,
        ikm=figures.ikm,
        surveys=figures.respondents,
        training=0.0 if shown and sums else None,
        answers=answers if shown else None,
    )
    return found, sums if shown else []


async def _training(
    session: AsyncSession, core: Core, unit_id: int, month: Period
) -> tuple[list[tuple[int, str, float, int]], int]:
    """The scores of the unit's training questionnaires released in the month, summed per
    (program, item) with their answers, and how many questionnaires there are: whole blocks
    of the minimum, never a single late answer."""
    tz = core.settings.tz
    start = dt.datetime.combine(month.start, dt.time(), tz)
    end = dt.datetime.combine(month.end, dt.time(), tz)
    programs = select(Program.id).where(col(Program.unit_id) == unit_id)
    conditions = (
        col(Response.subject_kind) == PROGRAM_SUBJECT,
        col(Response.subject_id).in_(programs.scalar_subquery()),
        col(Response.status) == RESPONSE_SUBMITTED,
        *releases.released(end, start),
    )
    counted = select(func.count()).select_from(Response).where(*conditions)
    count = (await session.exec(counted)).one()
    if not count:
        return [], 0
    rows = await session.exec(
        select(Response.subject_id, Answer.question, func.sum(Answer.score), func.count())
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(*conditions, col(Answer.score).is_not(None))
        .group_by(col(Response.subject_id), col(Answer.question))
    )
    sums = [(int(p), str(q), float(total or 0), int(n)) for p, q, total, n in rows.all()]
    return sums, int(count)
