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


async def _run(settings: Settings, args: argparse.Namespace) -> int | Composed:
    from bot.core import build_core
    from bot.jobs.digest import Recipient, compose, send_one
    from bot.services.access import all_admins
    from bot.services.digest import Period, parse_period
    from bot.storage.places import units_of_organizer
    from bot.storage.users import get_users

    # Queued digests are sent by the running bot's outbox on its next pass.
    core = build_core(settings, analyzer=False)
    db = core.db
    try:
        await db.migrate()
        today = core.moment().today
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
            t = core.texts.for_user(
                user.language if user else None, user.telegram_language if user else None
            )
            if args.dry_run:
                composed = await compose(session, core, recipient.scope, period, t)
        if not args.dry_run:
            if not recipient.user_id:
                print("digest: no admin in BOT_ADMIN_IDS to send to", file=sys.stderr)
                return 2
            queued = await send_one(core, recipient, period, weekly=False)
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
