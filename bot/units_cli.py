"""`python -m bot units ...`: the units of a deployment, managed from the server's command line.

The work is bot/services/units.py's, called as `Access.command_line()` (audited as "system"),
so the chat's /unit and this command follow the same rules. An import checks every row first
and prints each wrong one with its row number; then nothing is stored and the exit status is 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import program_cli
from bot.config import Settings
from bot.core import build_core
from bot.notify import deliver
from bot.program_cli import CliError, read_table, say
from bot.services import units as service
from bot.services.access import Access
from bot.services.errors import Refused
from bot.services.units import ImportRefused, UnitRow
from bot.storage.places import seed_places, short_region

# Column names accepted in an import file (English or Indonesian) -> field.
HEADERS = {
    "code": "code",
    "kode": "code",
    "name": "name",
    "nama": "name",
    "unit": "name",
    "region": "region",
    "wilayah": "region",
    "kabupaten": "region",
    "kota": "region",
    "kabupaten/kota": "region",
}
REQUIRED = ("code", "name", "region")


def add_parser(commands: Any) -> None:
    units = commands.add_parser(
        "units",
        help="the units complaints and programs go to: list, import, add, rename, deactivate",
        description="Manages the units (the same rules as /unit in the chat; audited as "
        "'system'). A region is a kabupaten/kota (or provincial government) by name or code.",
    )
    actions = units.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every unit with its region and state")
    importing = actions.add_parser(
        "import",
        help="add or update units from a CSV or XLSX file (all rows checked first)",
        description="Columns: code, name, region (or kode, nama, wilayah); a header row "
        "first. A known code is updated (name, region), a new one added; nothing is stored "
        "when any row is wrong.",
    )
    importing.add_argument("file", type=Path)
    add = actions.add_parser("add", help="add one unit")
    add.add_argument("--code", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--region", required=True, help="kabupaten/kota name or code")
    rename = actions.add_parser("rename", help="give a unit a new name")
    rename.add_argument("code")
    rename.add_argument("name")
    for name, what in (
        ("deactivate", "no new complaints or programs; its history stays"),
        ("reactivate", "take complaints and programs again"),
    ):
        actions.add_parser(name, help=what).add_argument("code")


def run(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    program_cli.use_language(settings.bot_default_language)
    try:
        return asyncio.run(_run(settings, args))
    except CliError as exc:
        print(f"Error: {say(exc.key, **exc.values)}", file=sys.stderr)
        return 2


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    core = build_core(settings, analyzer=False)
    try:
        await core.db.migrate()
        async with core.db.session() as session:
            await seed_places(session, settings.places_file)
            try:
                result = await _ACTIONS[args.action](session, core.texts, args)
            except ImportRefused as exc:
                for error in exc.errors:
                    print(
                        f"row {error.number}: {say(error.key, **error.values)}",
                        file=sys.stderr,
                    )
                raise CliError(exc.key, **exc.values) from None
            except Refused as exc:
                raise CliError(exc.key, **exc.values) from None
            await session.commit()
        return result
    finally:
        await core.close()


async def _list(session: AsyncSession, texts: Any, args: argparse.Namespace) -> int:
    for unit in await service.list_units(session, Access.command_line()):
        state = "" if unit.active else "  (inactive)"
        print(f"{unit.code}  {unit.name}  [{short_region(unit.region) or '-'}]{state}")
    return 0


async def _import(session: AsyncSession, texts: Any, args: argparse.Namespace) -> int:
    rows = [
        (
            number,
            UnitRow(
                str(v.get("code") or ""), str(v.get("name") or ""), str(v.get("region") or "")
            ),
        )
        for number, v in read_table(args.file, HEADERS, REQUIRED)
    ]
    done = await service.import_units(session, Access.command_line(), rows)
    print(f"{len(done.added)} added, {len(done.updated)} updated, {len(done.unchanged)} unchanged")
    return 0


async def _add(session: AsyncSession, texts: Any, args: argparse.Namespace) -> int:
    row = UnitRow(args.code, args.name, args.region)
    unit = await service.add_unit(session, Access.command_line(), row)
    print(f"Unit {unit.code} added: {unit.name}")
    return 0


async def _rename(session: AsyncSession, texts: Any, args: argparse.Namespace) -> int:
    caller = Access.command_line()
    unit = await service.unit_by_code(session, caller, args.code)
    assert unit.id is not None
    notices = await service.rename_unit(session, caller, unit_id=unit.id, name=args.name)
    await deliver(session, texts, notices)
    print(f"Unit {unit.code} renamed: {unit.name}")
    return 0


async def _set_active(session: AsyncSession, texts: Any, args: argparse.Namespace) -> int:
    caller = Access.command_line()
    unit = await service.unit_by_code(session, caller, args.code)
    assert unit.id is not None
    active = args.action == "reactivate"
    notices = await service.set_active(session, caller, unit_id=unit.id, active=active)
    await deliver(session, texts, notices)
    print(f"Unit {unit.code} {'reactivated' if active else 'deactivated'}")
    return 0


_ACTIONS = {
    "list": _list,
    "import": _import,
    "add": _add,
    "rename": _rename,
    "deactivate": _set_active,
    "reactivate": _set_active,
}
