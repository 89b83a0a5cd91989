"""The SKM report of a unit for a semester or a year (PermenPANRB 14/2017): the period, the
respondents against the Krejcie-Morgan minimum for the unit's population, NRR per element
U1-U9, the IKM (25-100) and its grade, room for the unit's follow-up plan, the questionnaire
as an annex. `request` checks who asks and returns file notices (built after the commit by
bot/reports/builders.py); `compute` reads the figures.

The small-group rule holds: no figure about the unit is shown below FEEDBACK_MIN_RESPONSES
respondents (nor an element below it), and a year is shown only when each of its semesters
is either empty or has the minimum itself, so that a year minus a semester never gives the
answers of fewer people. Against arithmetic across time as well: ratings are counted in the
period in which their block was released (bot/services/releases.py, blocks of the minimum per
unit), so the running half-year, asked for on two days, differs by whole blocks or not at all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Translator
from bot.services import questionnaires, releases
from bot.services.access import Access
from bot.services.digest import krejcie_morgan
from bot.services.errors import NotFound, Refused
from bot.services.notices import FileRequest, Notice
from bot.services.satisfaction import SKM_ELEMENTS, SKM_SUBJECT, SKM_TEMPLATE, ikm_of
from bot.storage.complaints import Complaint
from bot.storage.places import LEVEL_UNIT, get_place, place_by_code
from bot.storage.questionnaires import RESPONSE_SUBMITTED, Answer, Response

if TYPE_CHECKING:
    from bot.core import Core

PERIOD_RE = re.compile(r"^(\d{4})(?:-S([12]))?$", re.IGNORECASE)
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def shown(total: int, parts: Iterable[int], minimum: int) -> bool:
    """The small-group rule for periods: a figure of `total` people is shown only with at
    least `minimum` of them, and only when each part of its period that is shown on its own
    (a year's half-years, a period's months) is empty or has the minimum itself, so that
    subtracting shown figures never leaves fewer than the minimum."""
    return total >= minimum and all(n == 0 or n >= minimum for n in parts)


@dataclass(frozen=True)
class Period:
    year: int
    semester: int | None  # None: the whole year (or a month, when `month` is set)
    month: int | None = None  # 1-12: one month (the public pages)

    @property
    def code(self) -> str:
        if self.month:
            return f"{self.year}-{self.month:02d}"
        return f"{self.year}-S{self.semester}" if self.semester else str(self.year)

    @property
    def start(self) -> dt.date:
        if self.month:
            return dt.date(self.year, self.month, 1)
        return dt.date(self.year, 7 if self.semester == 2 else 1, 1)

    @property
    def end(self) -> dt.date:
        """The first day after the period."""
        if self.month:
            return dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
        if self.semester == 1:
            return dt.date(self.year, 7, 1)
        return dt.date(self.year + 1, 1, 1)

    def semesters(self) -> list[Period]:
        if self.month or self.semester:
            return [self]
        return [Period(self.year, 1), Period(self.year, 2)]

    def months(self) -> list[Period]:
        """The months of the period (a month: itself)."""
        if self.month:
            return [self]
        first = self.start.month
        last = self.end.month - 1 if self.end.year == self.year else 12
        return [Period(self.year, None, m) for m in range(first, last + 1)]

    @classmethod
    def parse(cls, text: str, *, months: bool = False) -> Period:
        """2026-S2, 2026-S1 or 2026; with `months` also 2026-03."""
        month = MONTH_RE.match(text.strip()) if months else None
        if month is not None:
            if not 2000 <= int(month.group(1)) <= 2100:
                raise Refused("reports.skm_bad_period", given=text[:20])
            return cls(int(month.group(1)), None, int(month.group(2)))
        match = PERIOD_RE.match(text.strip())
        if match is None or not 2000 <= int(match.group(1)) <= 2100:
            raise Refused("reports.skm_bad_period", given=text[:20])
        semester = int(match.group(2)) if match.group(2) else None
        return cls(int(match.group(1)), semester)

    @classmethod
    def containing(cls, day: dt.date) -> Period:
        return cls(day.year, 1 if day.month <= 6 else 2)

    def label(self, t: Translator) -> str:
        last = self.end - dt.timedelta(days=1)
        if self.month:
            return t("public.period_month", start=t.date(self.start), end=t.date(last))
        key = f"reports.skm_period_s{self.semester}" if self.semester else "reports.skm_period_y"
        return t(key, year=self.year, start=t.date(self.start), end=t.date(last))


@dataclass
class Element:
    code: str  # u1 .. u9
    name: str  # the element's question, in the reader's language
    nrr: float | None  # None: withheld (fewer than the minimum answered it)
    n: int


@dataclass
class SkmReport:
    unit: str
    unit_code: str
    period: Period
    period_label: str
    respondents: int
    min_responses: int
    population: int | None
    minimum: int | None  # Krejcie-Morgan, when the population is configured
    withheld: bool  # too few respondents (or a semester of the year too few): no figures
    elements: list[Element]
    ikm: float | None  # 25-100
    grade: str | None  # A-D
    made_on: dt.date
    # The annex: the questionnaire (element code, question, its four answer labels).
    questionnaire: list[tuple[str, str, list[str]]] = field(default_factory=list)
    title: str = ""

    @property
    def enough_sample(self) -> bool | None:
        return None if self.minimum is None else self.respondents >= self.minimum


def quality(t: Translator, grade: str) -> str:
    return t(f"digest.grade_{grade}")


async def _unit(session: AsyncSession, caller: Access, code: str | None) -> tuple[int, str]:
    """The unit asked for (by code), or the caller's only unit; refused for another's."""
    if code:
        place = await place_by_code(session, code[:32])
        if place is None or place.level != LEVEL_UNIT or place.id is None:
            raise NotFound("reports.skm_unknown_unit", code=code[:32])
        if not caller.handles(place.id):
            raise NotFound("reports.skm_unknown_unit", code=code[:32])
        return place.id, place.code
    units = sorted(caller.units)
    if len(units) != 1:
        raise Refused("reports.skm_which_unit")
    place = await get_place(session, units[0])
    assert place is not None and place.id is not None
    return place.id, place.code


async def request(
    session: AsyncSession,
    core: Core,
    caller: Access,
    *,
    unit_code: str | None,
    period: str | None,
) -> list[Notice]:
    """An organizer of the unit (or an admin) asks for the report: XLSX and PDF, built after
    the commit and sent in the caller's language."""
    if not caller.organizer:
        raise Refused("access.denied")
    chosen = Period.parse(period) if period else Period.containing(core.moment().today)
    unit_id, code = await _unit(session, caller, unit_code)
    caller.audit(
        session,
        action="report_skm",
        subject_kind="unit",
        subject_id=unit_id,
        detail=chosen.code,
    )
    params: dict[str, object] = {"unit_id": unit_id, "period": chosen.code}
    return [
        Notice(
            user_id=caller.user_id,
            key="reports.skm_preparing",
            values={"code": code, "period": chosen.code},
            files=(FileRequest("skm_report_xlsx", params), FileRequest("skm_report_pdf", params)),
        )
    ]


async def _counts(
    session: AsyncSession, unit_id: int, start: dt.datetime, end: dt.datetime
) -> tuple[int, dict[str, tuple[float, int]]]:
    """Respondents, and per element its mean and how many answered it, in the database: the
    ratings *released* in [start, end), in whole blocks of the minimum (releases.py), never
    the ones submitted then, so a running period grows by whole blocks."""
    base = (
        col(Response.subject_kind) == SKM_SUBJECT,
        col(Response.status) == RESPONSE_SUBMITTED,
        *releases.released(end, start),
        col(Complaint.unit_id) == unit_id,
    )
    respondents = (
        await session.exec(
            select(func.count(func.distinct(Response.id)))
            .join(Complaint, col(Complaint.id) == col(Response.subject_id))
            .where(*base)
        )
    ).one()
    query = (
        select(Answer.question, func.avg(Answer.score), func.count(func.distinct(Response.id)))
        .join(Response, col(Response.id) == col(Answer.response_id))
        .join(Complaint, col(Complaint.id) == col(Response.subject_id))
        .where(*base, col(Answer.score).is_not(None))
        .group_by(col(Answer.question))
    )
    rows = (await session.exec(query)).all()
    return int(respondents or 0), {str(q): (float(m), int(n)) for q, m, n in rows}


async def respondents_and_elements(
    session: AsyncSession, unit_id: int, period: Period, *, tz: dt.tzinfo
) -> tuple[int, dict[str, tuple[float, int]]]:
    """The unit's SKM respondents in the period and each element's mean and count."""

    def moment(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tz)

    return await _counts(session, unit_id, moment(period.start), moment(period.end))


async def withheld_for(
    session: AsyncSession,
    unit_id: int,
    period: Period,
    respondents: int,
    *,
    k: int,
    tz: dt.tzinfo,
    parts: list[Period],
) -> bool:
    """Whether the period's SKM figures are withheld: too few respondents, or a part shown on
    its own (`parts`, the half-years of a year here, the months on the public pages) with
    some but fewer than `k`."""
    if respondents < k:
        return True
    if parts == [period]:
        return False
    counts = [(await respondents_and_elements(session, unit_id, part, tz=tz))[0] for part in parts]
    return not shown(respondents, counts, k)


async def compute(
    session: AsyncSession, core: Core, *, unit_id: int, period: str, t: Translator
) -> SkmReport:
    settings = core.settings
    tz = settings.tz
    # A month too (the workspace's IKM page); the chat's /laporanskm asks for half-years and
    # years only (`request`).
    chosen = Period.parse(period, months=True)
    place = await get_place(session, unit_id)
    if place is None:
        raise NotFound()
    from bot.services.complaints import unit_label

    def moment(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tz)

    k = settings.feedback_min_responses
    respondents, per_element = await _counts(
        session, unit_id, moment(chosen.start), moment(chosen.end)
    )
    # Months, as the public pages show them: no report minus a public month gives fewer
    # than k people's answers.
    parts = chosen.months()
    withheld = await withheld_for(session, unit_id, chosen, respondents, k=k, tz=tz, parts=parts)
    template = await questionnaires.latest(session, SKM_TEMPLATE)
    assert template.id is not None
    questions = (await questionnaires.template_of(session, template.id)).questions
    elements: list[Element] = []
    for question in questions[:SKM_ELEMENTS]:
        mean, n = per_element.get(question.code, (0.0, 0))
        shown = None if withheld or n < k else round(mean, 2)
        elements.append(Element(question.code, question.text(t.language), shown, n))
    ikm = None
    if not withheld and all(e.nrr is not None for e in elements):
        ikm = ikm_of({e.code: per_element[e.code][0] for e in elements}, respondents)
    population = settings.unit_populations.get(place.code)
    return SkmReport(
        unit=await unit_label(session, unit_id),
        unit_code=place.code,
        period=chosen,
        period_label=chosen.label(t),
        respondents=respondents,
        min_responses=k,
        population=population,
        minimum=krejcie_morgan(population) if population else None,
        withheld=withheld,
        elements=elements,
        ikm=ikm.value if ikm else None,
        grade=ikm.grade if ikm else None,
        made_on=core.moment().today,
        questionnaire=[
            (q.code, q.text(t.language), list(q.labels.get(t.language, []))) for q in questions
        ],
        title=template_title(t),
    )


def finished_periods(today: dt.date) -> list[Period]:
    """The finished periods a page offers: the last four half-years, two years and twelve
    months, newest first."""
    years = [Period(today.year - n, None) for n in (1, 2)]
    halves: list[Period] = []
    half = Period(today.year - 1, 2) if today.month <= 6 else Period(today.year, 1)
    while len(halves) < 4:
        halves.append(half)
        half = Period(half.year, 1) if half.semester == 2 else Period(half.year - 1, 2)
    return halves + years + finished_months(today)


def finished_months(today: dt.date, count: int = 12) -> list[Period]:
    """The last `count` finished months, newest first."""
    months: list[Period] = []
    year, month = today.year, today.month
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        months.append(Period(year, None, month))
    return months


def template_title(t: Translator) -> str:
    return t("reports.skm_title")
