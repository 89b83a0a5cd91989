"""What a queued message still depends on, checked again by the outbox just before it is sent.

A reminder is written when it falls due, an invitation when the training ends; either may sit
in the outbox for hours (the night, a stopped bot). A `Condition` names what it depends on: a
response that must still be open, a moment after which it means nothing (the questionnaire
window's end), and the sending hours in the recipient's zone. The sender checks it in its own
transaction right before the call: a message whose condition no longer holds is marked as not
sent, with the reason; one outside the sending hours waits for their next start.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.questionnaires import RESPONSE_OPEN, RESPONSE_SUBMITTED, Response


@dataclass(frozen=True)
class Condition:
    # This questionnaire response must still be open (not submitted, not expired).
    response_open: int | None = None
    # Not sent at or after this moment (the window closes).
    until: dt.datetime | None = None
    # Sent only between these local times, in `zone` (the recipient's, as far as it is known).
    hours: tuple[dt.time, dt.time] | None = None
    zone: str | None = None

    def to_json(self) -> dict[str, Any]:
        stored: dict[str, Any] = {}
        if self.response_open is not None:
            stored["response_open"] = self.response_open
        if self.until is not None:
            stored["until"] = self.until.astimezone(dt.UTC).isoformat()
        if self.hours is not None:
            stored["hours"] = [self.hours[0].isoformat(), self.hours[1].isoformat()]
            stored["zone"] = self.zone or "UTC"
        return stored

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> Condition:
        hours = stored.get("hours")
        until = stored.get("until")
        return cls(
            response_open=stored.get("response_open"),
            until=dt.datetime.fromisoformat(until) if until else None,
            hours=(dt.time.fromisoformat(hours[0]), dt.time.fromisoformat(hours[1]))
            if hours
            else None,
            zone=stored.get("zone"),
        )


@dataclass(frozen=True)
class Verdict:
    """SEND (both None), wait until `wait_until`, or not sent because of `reason`."""

    reason: str | None = None
    wait_until: dt.datetime | None = None


SEND = Verdict()


def next_in_hours(
    moment: dt.datetime, tz: ZoneInfo, hours: tuple[dt.time, dt.time]
) -> dt.datetime:
    """`moment` if it falls within the sending hours in `tz`, else the next start of them."""
    local = moment.astimezone(tz)
    first, last = hours
    if first <= local.time() < last:
        return moment
    day = local.date() if local.time() < first else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, first, tzinfo=tz).astimezone(dt.UTC)


async def recheck(session: AsyncSession, stored: dict[str, Any], now: dt.datetime) -> Verdict:
    """Whether a message with this stored condition may go now."""
    condition = Condition.from_json(stored)
    if condition.response_open is not None:
        response = await session.get(Response, condition.response_open)
        if response is None:
            return Verdict(reason="response gone")
        if response.status == RESPONSE_SUBMITTED:
            return Verdict(reason="already answered")
        if response.status != RESPONSE_OPEN:
            return Verdict(reason="questionnaire closed")
    if condition.until is not None and now >= condition.until:
        return Verdict(reason="questionnaire closed")
    if condition.hours is not None:
        at = next_in_hours(now, ZoneInfo(condition.zone or "UTC"), condition.hours)
        if at != now:
            if condition.until is not None and at >= condition.until:
                return Verdict(reason="questionnaire closed")
            return Verdict(wait_until=at)
    return SEND
