"""Working days in Indonesia: Monday to Friday, minus national holidays, cuti bersama and the
deployment's own days off. Deadlines of complaints (Perpres 76/2013) count in these days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

VERIFY_DAYS = 3
FOLLOW_UP_DAYS = 5
WAITING_CLOSE_DAYS = 10


class WorkingCalendar:
    def __init__(self, extra_days_off: Iterable[dt.date] = ()) -> None:
        self.extra_days_off = frozenset(extra_days_off)

    @cached_property
    def _national(self) -> Mapping[dt.date, str]:
        # Imported when first needed: the package loads every country's calendar (0.1 s).
        import holidays

        # "government" holds the cuti bersama days, when offices are closed too.
        return holidays.country_holidays("ID", categories=("public", "government"), language="id")

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self._national and day not in self.extra_days_off

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date `days` working days after `start` (start itself is not counted)."""
        current = start
        remaining = days
        while remaining > 0:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 if end <= start)."""
        count = 0
        current = start
        while current < end:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def holiday_name(self, day: dt.date) -> str | None:
        name = self._national.get(day)
        return str(name) if name else None


@dataclass(frozen=True)
class Clock:
    """Today and now as the deployment sees them, and its working days."""

    tz: ZoneInfo
    calendar: WorkingCalendar
    now: dt.datetime

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(self.tz).date()
