"""`python -m bot digest`: build digests from the command line.

    python -m bot digest --period last-week --dry-run --output out/
    python -m bot digest --recipient 123456789          # queue it; the running bot sends it

Without --recipient it builds the admins' digest (everything). --dry-run prints the text and
writes the PNG and XLSX to --output, sending nothing; otherwise the digest goes into the outbox
of the database, which the running bot delivers.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    from bot.jobs.digest import Composed

_TAGS = re.compile(r"<[^>]+>")


def add_parser(commands: Any) -> None:
    digest = commands.add_parser("digest", help="build the weekly digest (or send it)")
    digest.add_argument("--period", default="last-week", help="last-week, this-week or 2026-W47")
    digest.add_argument("--recipient", type=int, help="Telegram id of an organizer or admin")
    digest.add_argument("--dry-run", action="store_true", help="print and write files only")
    digest.add_argument("--output", default=".", help="folder for the PNG and XLSX (dry run)")


class _NoSender:
    def nudge(self) -> None:
        """The running bot's sender picks the rows up on its next pass."""


async def _run(settings: Settings, args: argparse.Namespace) -> int | Composed:
    from bot.context import AppState
    from bot.i18n import Texts
    from bot.jobs.digest import Recipient, compose, send_one
    from bot.services.access import all_admins
    from bot.services.digest import Period, parse_period
    from bot.storage.db import Database
    from bot.storage.places import units_of_organizer
    from bot.storage.types import utcnow
    from bot.storage.users import get_users

    db = Database(settings.database_url)
    try:
        await db.migrate()
        state = AppState()
        state.settings, state.db = settings, db
        state.texts = Texts(settings.bot_default_language, settings.tz)
        state.outbox = _NoSender()  # type: ignore[assignment]
        today = utcnow().astimezone(settings.tz).date()
        try:
            period: Period = parse_period(args.period, today)
        except ValueError as exc:
            print(f"digest: {exc}", file=sys.stderr)
            return 2
        async with db.session() as session:
            if args.recipient is None:
                admins = await all_admins(session, settings)
                recipient = Recipient(admins[0] if admins else 0, None)
            elif args.recipient in await all_admins(session, settings):
                recipient = Recipient(args.recipient, None)
            else:
                units = await units_of_organizer(session, args.recipient)
                if not units:
                    print(f"digest: {args.recipient} is no organizer or admin", file=sys.stderr)
                    return 2
                recipient = Recipient(args.recipient, units)
            user = (await get_users(session, {recipient.user_id})).get(recipient.user_id)
            t = state.texts.for_user(
                user.language if user else None, user.telegram_language if user else None
            )
            if args.dry_run:
                composed = await compose(session, state, recipient.scope, period, t)
        if not args.dry_run:
            if not recipient.user_id:
                print("digest: no admin in BOT_ADMIN_IDS to send to", file=sys.stderr)
                return 2
            queued = await send_one(state, recipient, period, weekly=False)
            print(f"digest {period.label} queued for {recipient.user_id}" if queued else "empty")
            return 0
        return composed
    finally:
        await db.dispose()


def run(settings: Settings, args: argparse.Namespace) -> int:
    result = asyncio.run(_run(settings, args))
    if isinstance(result, int):
        return result
    print(html.unescape(_TAGS.sub("", result.text)))
    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    for _method, name, data in result.files:
        (folder / name).write_bytes(data)
        print(f"wrote {folder / name}")
    return 0
