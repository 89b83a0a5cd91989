"""Scheduled messages fall in the recipient's daytime, by the zone of where they are."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.services.feedback import in_daytime

HOURS = (dt.time(8, 0), dt.time(20, 0))
WIB, WITA, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar"), ZoneInfo("Asia/Jayapura")


def _at(zone: ZoneInfo, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=zone)


def test_daytime_moments_are_kept() -> None:
    moment = _at(WIB, 24, 14, 30)
    assert in_daytime(moment, WIB, HOURS) == moment


def test_evening_waits_for_the_next_morning_and_night_for_the_same_morning() -> None:
    assert in_daytime(_at(WIB, 24, 20, 0), WIB, HOURS) == _at(WIB, 25, 8)
    assert in_daytime(_at(WIB, 24, 23, 59), WIB, HOURS) == _at(WIB, 25, 8)
    assert in_daytime(_at(WIB, 25, 2, 0), WIB, HOURS) == _at(WIB, 25, 8)


def test_the_zone_decides_what_night_is() -> None:
    # 19:30 in Jakarta is 21:30 in Jayapura: a participant in Papua gets it next morning.
    moment = _at(WIB, 24, 19, 30)
    assert in_daytime(moment, WIB, HOURS) == moment
    assert in_daytime(moment, WIT, HOURS) == _at(WIT, 25, 8)
    assert in_daytime(_at(WIB, 24, 7, 30), WITA, HOURS) == _at(WIB, 24, 7, 30)
