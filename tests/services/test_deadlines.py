"""Working-day arithmetic across weekends, national holidays, cuti bersama and local days off."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.services.deadlines import WorkingCalendar

D = dt.date


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (D(2026, 11, 23), 3, D(2026, 11, 26)),  # Monday -> Thursday
        (D(2026, 11, 26), 3, D(2026, 12, 1)),  # Thursday, over the weekend -> Tuesday
        (D(2026, 11, 28), 1, D(2026, 11, 30)),  # filed on Saturday -> Monday
        (D(2026, 3, 17), 3, D(2026, 3, 27)),  # Nyepi and Idul Fitri with cuti bersama
        (D(2026, 12, 23), 3, D(2026, 12, 30)),  # Natal and its cuti bersama
        (D(2026, 8, 14), 1, D(2026, 8, 18)),  # 17 Agustus on a Monday
    ],
)
def test_add_working_days(start: dt.date, days: int, due: dt.date) -> None:
    assert WorkingCalendar().add_working_days(start, days) == due


def test_local_days_off_are_skipped_too() -> None:
    calendar = WorkingCalendar([D(2026, 11, 24)])  # a regional anniversary, say
    assert calendar.add_working_days(D(2026, 11, 23), 3) == D(2026, 11, 27)
    assert not calendar.is_working_day(D(2026, 11, 24))


def test_counting_working_days_between() -> None:
    calendar = WorkingCalendar()
    assert calendar.working_days_between(D(2026, 11, 20), D(2026, 11, 27)) == 5
    assert calendar.working_days_between(D(2026, 11, 27), D(2026, 11, 20)) == 0
    assert calendar.holiday_name(D(2026, 3, 21)) == "Hari Raya Idul Fitri"
