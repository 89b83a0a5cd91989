"""`python -m bot questionnaire import|export`: organizers' own questionnaires as XLSForm.

An import prints one line per problem ("row N: reason", in the admin's language) and stores
nothing when there is any, exiting with status 2; an accepted form becomes the next version of
its code (bot/services/xlsform.py). An export writes the latest version back as a workbook.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.core import build_core
from bot.i18n import LANGUAGES
from bot.program_cli import say, use_language
from bot.services import xlsform
from bot.services.access import Access
from bot.services.errors import Refused
from bot.services.questionnaires import seed_templates


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "questionnaire",
        help="organizers' own questionnaires: import or export an XLSForm workbook",
        description="Reads an XLSForm workbook (survey, choices, settings sheets, as ODK and "
        "KoboToolbox write them) into a new questionnaire version, or writes one back.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--language", choices=LANGUAGES, help="language of the messages")
    importing = actions.add_parser("import", help="store an XLSForm (.xlsx)", parents=[common])
    importing.add_argument("file", type=Path)
    export = actions.add_parser(
        "export", help="write a questionnaire as XLSForm", parents=[common]
    )
    export.add_argument("code")
    export.add_argument("--output", type=Path, help="file to write (default: CODE.xlsx)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    use_language(getattr(args, "language", None) or settings.bot_default_language)
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "import":
        try:
            template = xlsform.read_workbook(args.file)
        except xlsform.FormRefused as refused:
            for problem in refused.problems:
                print(_line(problem), file=sys.stderr)
            print(say("xlsform.refused", count=len(refused.problems)), file=sys.stderr)
            return 2
    db = build_core(settings, analyzer=False).db
    try:
        await db.migrate()
        async with db.session() as session:
            await seed_templates(session)
            result = await _act(session, args, template if args.action == "import" else None)
            await session.commit()
        return result
    except Refused as exc:
        print(say("cli.error", message=say(exc.key, **exc.values)), file=sys.stderr)
        return 2
    finally:
        await db.dispose()


async def _act(
    session: AsyncSession, args: argparse.Namespace, template: xlsform.Template | None
) -> int:
    caller = Access.command_line()
    if template is not None:
        stored = await xlsform.store_form(session, caller, template)
        row = stored.template
        key = "xlsform.imported" if stored.new else "xlsform.unchanged"
        print(say(key, code=row.code, version=row.version, questions=len(template.questions)))
        return 0
    exported, data = await xlsform.export_form(session, caller, args.code)
    path: Path = args.output or Path(f"{exported.code}.xlsx")
    await asyncio.to_thread(path.write_bytes, data)
    print(say("xlsform.exported", code=exported.code, version=exported.version, path=str(path)))
    return 0


def _line(problem: xlsform.Problem) -> str:
    message = say(problem.key, **problem.values)
    if problem.row:
        return say("xlsform.row", number=problem.row, message=message)
    return say("xlsform.whole", message=message)
