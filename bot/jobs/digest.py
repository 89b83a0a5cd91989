"""The weekly digest, delivered exactly once per recipient and week.

Every few minutes (and at start-up) `send_weekly` checks whether this week's scheduled moment
(DIGEST_SCHEDULE, default Monday 07:00 local) has passed; if so, every organizer and admin who
has not had last week's digest gets it: a claim row decides which process builds it (bot/storage/
digests.py), the numbers are read in a session that writes nothing (on SQLite no chat waits for
the build), and the message, chart and workbook are written to the outbox with the claim marked
sent, in one short commit. A process that was down at the scheduled time catches up when it
starts, within the same week.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.buttons import Inbox, OpenProgram
from bot.calls import message_calls
from bot.config import parse_schedule
from bot.core import Core
from bot.i18n import Translator
from bot.keyboards import Button, keyboard
from bot.reports.digest_files import chart_png, workbook_xlsx
from bot.reports.digest_text import render
from bot.reports.export import week_rows
from bot.services import digest_week
from bot.services.access import all_admins
from bot.services.digest import Period
from bot.storage import digests, outbox
from bot.storage.places import organizers_since, units_by_organizer
from bot.storage.users import get_users

log = logging.getLogger(__name__)

CHECK_EVERY = dt.timedelta(minutes=5)
PROGRAM_BUTTONS = 3


@dataclass(frozen=True)
class Recipient:
    user_id: int
    scope: list[int] | None  # None: an admin, who gets everything
    since: dt.datetime | None = None  # when an organizer got their first unit

    def new_after(self, period: Period, tz: Any) -> bool:
        """Whether they became an organizer after the period ended."""
        return self.since is not None and self.since >= period.bounds(tz)[1]


@dataclass
class Composed:
    text: str
    markup: InlineKeyboardMarkup | None
    files: list[tuple[str, str, bytes]]  # (method, file name, bytes)
    empty: bool


async def recipients(session: AsyncSession, core: Core) -> list[Recipient]:
    """Admins (everything), then organizers (their units); an admin is not sent both."""
    admins = await all_admins(session, core.settings)
    units = await units_by_organizer(session)
    since = await organizers_since(session)
    found = [Recipient(a, None) for a in admins]
    found += [
        Recipient(u, ids, since.get(u)) for u, ids in sorted(units.items()) if u not in admins
    ]
    return found


def week_due(now: dt.datetime, core: Core) -> Period | None:
    """Last week's period once this week's scheduled moment has passed; None before it (and
    always None with DIGEST_SCHEDULE=off: no weekly digests, /ringkasan still works)."""
    if core.settings.digest_schedule == "OFF":
        return None
    weekday, at = parse_schedule(core.settings.digest_schedule)
    local = now.astimezone(core.settings.tz)
    this_week = Period.containing(local.date())
    scheduled = dt.datetime.combine(
        this_week.monday + dt.timedelta(days=weekday), at, core.settings.tz
    )
    return this_week.previous() if local >= scheduled else None


async def compose(
    session: AsyncSession, core: Core, scope: list[int] | None, period: Period, t: Translator
) -> Composed:
    """Reads and renders one digest; writes nothing. The numbers come from
    `digest_week.read`, as the workspace's week page does."""
    week = await digest_week.read(session, core, scope=scope, period=period)
    digest = week.digest
    text = render(digest, t, week.units)
    if week.quiet:
        return Composed(text, None, [], True)
    rows: list[list[Button]] = [
        [(t("digest.open_program", code=p.code), OpenProgram(p.program_id))]
        for p in digest.programs[:PROGRAM_BUTTONS]
    ]
    if digest.complaints.overdue_total:
        rows.append([(t("digest.open_overdue"), Inbox())])
    complaints = await week_rows(
        session,
        monday=period.monday,
        unit_ids=scope,
        tz=core.settings.tz,
        today=core.moment().today,
        labels=week.units,
    )
    name = digest_week.file_stem(period)
    files = [
        ("sendPhoto", f"{name}.png", chart_png(digest, t)),
        ("sendDocument", f"{name}.xlsx", workbook_xlsx(digest, t, week.units, complaints)),
    ]
    return Composed(text, keyboard(rows) if rows else None, files, False)


async def _enqueue(
    session: AsyncSession, chat_id: int, composed: Composed, key: str | None, t: Translator
) -> None:
    for number, call in enumerate(message_calls(chat_id, composed.text, composed.markup)):
        await outbox.enqueue(
            session,
            chat_id=chat_id,
            method=call.method,
            payload=call.params,
            dedupe_key=f"{key}#{number}" if key else None,
        )
    for method, name, data in composed.files:
        caption = t("digest.caption_chart" if method == "sendPhoto" else "digest.caption_workbook")
        await outbox.enqueue(
            session,
            chat_id=chat_id,
            method=method,
            payload={"chat_id": chat_id, "caption": caption},
            dedupe_key=f"{key}#{name}" if key else None,
            file=(name, data),
        )


async def send_one(
    core: Core,
    recipient: Recipient,
    period: Period,
    *,
    weekly: bool,
    cache: dict[tuple[tuple[int, ...] | None, str], Composed] | None = None,
    nudge: Callable[[], None] | None = None,
) -> bool:
    """Builds and queues one recipient's digest; weekly ones are claimed so they go once.
    With `cache`, recipients of the same scope and language (the admins) share one build."""
    now = core.clock()
    if weekly:
        async with core.db.session() as session:
            won = await digests.claim(
                session, recipient_id=recipient.user_id, week=period.label, now=now
            )
            if not won:
                return False
            await session.commit()
    async with core.db.session() as session:
        users = await get_users(session, {recipient.user_id})
        user = users.get(recipient.user_id)
        if user is not None and not user.reachable:
            composed = None
        else:
            t = core.texts.for_user(
                user.language if user else None, user.telegram_language if user else None
            )
            scope_key = tuple(recipient.scope) if recipient.scope is not None else None
            composed = cache.get((scope_key, t.language)) if cache is not None else None
            if composed is None:
                composed = await compose(session, core, recipient.scope, period, t)
                if cache is not None:
                    cache[(scope_key, t.language)] = composed
    async with core.db.session() as session:
        # An empty week is not someone's first message from Suara: an organizer appointed
        # after it ended is not sent it.
        quiet = composed is not None and composed.empty
        skip = composed is None or (
            quiet
            and (
                core.settings.digest_when_empty == "skip"
                or (weekly and recipient.new_after(period, core.settings.tz))
            )
        )
        if composed is not None and not skip:
            if composed.empty:
                composed = dataclasses.replace(composed, files=[])
            key = f"digest:{recipient.user_id}:{period.label}" if weekly else None
            await _enqueue(session, recipient.user_id, composed, key, t)
        if weekly:
            await digests.mark_sent(
                session, recipient_id=recipient.user_id, week=period.label, now=core.clock()
            )
        await session.commit()
    if not skip:
        if nudge is not None:
            nudge()
    return not skip


async def send_weekly(core: Core, nudge: Callable[[], None] | None = None) -> int:
    """Queues last week's digest for everyone still without it; returns how many."""
    period = week_due(core.clock(), core)
    if period is None:
        return 0
    async with core.db.session() as session:
        everyone = await recipients(session, core)
        done = await digests.sent_weeks(session, period.label)
    sent = 0
    built: dict[tuple[tuple[int, ...] | None, str], Composed] = {}
    for recipient in everyone:
        if recipient.user_id in done:
            continue
        try:
            sent += await send_one(core, recipient, period, weekly=True, cache=built, nudge=nudge)
        except Exception:
            # Left claimed: another run takes it over once the claim is stale.
            log.exception("digest for one recipient failed; retried later")
    if sent:
        log.info("weekly digest %s queued for %d recipients", period.label, sent)
    return sent


async def digest_job(context: Any) -> None:
    state = context.application.bot_data
    await send_weekly(state.core, state.outbox.nudge)


async def on_demand_job(context: Any) -> None:
    """/ringkasan: built after the update that asked for it has committed."""
    user_id, scope, monday = context.job.data
    state = context.application.bot_data
    await send_one(
        state.core,
        Recipient(user_id, scope),
        Period(monday),
        weekly=False,
        nudge=state.outbox.nudge,
    )
