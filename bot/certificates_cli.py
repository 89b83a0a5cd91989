"""`python -m bot program classlist|certificates|siasn|zip|revoke ...`: class lists and
certificates from the command line, through the same services as the chat (the caller is
`Access.command_line()`, audited as "system"). Mistakes are printed in the admin's language
and exit with status 2, as the other `program` commands do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.i18n import Texts
from bot.program_cli import CliError, read_table, say
from bot.reports.certificate_files import program_zip, siasn_csv, siasn_workbook
from bot.services import certificate_records, certificates, classlists
from bot.services.access import Access
from bot.services.classlists import ClassListError, ListedPerson
from bot.services.errors import Refused
from bot.storage import programs as store
from bot.storage.programs import Program
from bot.storage.types import utcnow

# Column names of a class list file (Indonesian or English) -> field.
CLASS_HEADERS = {
    "name": "name",
    "nama": "name",
    "nip": "nip",
    "unit kerja": "work_unit",
    "unit_kerja": "work_unit",
    "work unit": "work_unit",
    "work_unit": "work_unit",
    "phone": "phone",
    "telepon": "phone",
    "hp": "phone",
    "no hp": "phone",
}


def add_actions(actions: Any, common: argparse.ArgumentParser) -> None:
    classlist = actions.add_parser(
        "classlist",
        help="a program's class list from a CSV or XLSX file (name, NIP, unit kerja, phone)",
        description="Columns: nama, nip, unit kerja, telepon (or name, nip, work unit, phone); "
        "a header row first. Every row is checked first; a NIP already listed is updated. "
        "With --from-joined instead of a file: the participants who joined with a NIP.",
        parents=[common],
    )
    classlist.add_argument("code")
    classlist.add_argument("file", type=Path, nargs="?")
    classlist.add_argument("--from-joined", action="store_true")
    settings = actions.add_parser(
        "certificates", help="make a program issue certificates (JP, signatory)", parents=[common]
    )
    settings.add_argument("code")
    settings.add_argument("--hours", type=int, required=True, help="lesson hours (JP)")
    settings.add_argument("--signatory-name", required=True)
    settings.add_argument("--signatory-title", required=True)
    settings.add_argument("--signatory-nip")
    siasn = actions.add_parser(
        "siasn", help="a program's SIASN training-history rows", parents=[common]
    )
    siasn.add_argument("code")
    siasn.add_argument("--format", choices=("csv", "xlsx"), default="xlsx")
    siasn.add_argument("--output", type=Path)
    archive = actions.add_parser(
        "zip", help="every valid certificate as one ZIP", parents=[common]
    )
    archive.add_argument("code")
    archive.add_argument("--output", type=Path)
    for name, what in (("revoke", "revoke a certificate"), ("reissue", "reissue a certificate")):
        one = actions.add_parser(name, help=what, parents=[common])
        one.add_argument("number")


async def _program(session: AsyncSession, code: str) -> Program:
    program = await store.program_by_code(session, code)
    if program is None or program.id is None:
        raise CliError("cli.no_program", code=repr(code))
    return program


def _done(key: str, values: dict[str, object]) -> int:
    print(say(key, **values))
    return 0


async def _classlist(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    program = await _program(session, args.code)
    assert program.id is not None
    try:
        if args.from_joined:
            done = await classlists.from_joined(session, Access.command_line(), program.id)
            return _done(done.key, done.values)
        if args.file is None:
            raise CliError("cli.no_file", path="-")
        rows = [
            (
                number,
                ListedPerson(
                    str(values.get("name") or ""),
                    str(values.get("nip") or "").removesuffix(".0"),
                    str(values.get("work_unit") or ""),
                    str(values.get("phone") or ""),
                ),
            )
            for number, values in read_table(args.file, CLASS_HEADERS, ("name", "nip"))
        ]
        done = await classlists.import_list(session, Access.command_line(), program.id, rows)
    except ClassListError as exc:
        for number, key, values in exc.problems:
            print(say("cli.row", number=number, message=say(key, **values)), file=sys.stderr)
        raise CliError(exc.key, **exc.values) from None
    except Refused as exc:
        raise CliError(exc.key, **exc.values) from None
    return _done(done.key, done.values)


async def _settings(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    program = await _program(session, args.code)
    assert program.id is not None
    given = certificates.Signatory(
        args.hours, args.signatory_name, args.signatory_title, args.signatory_nip
    )
    try:
        done, notices = await certificates.configure(
            session, Access.command_line(), program.id, given
        )
    except Refused as exc:
        raise CliError(exc.key, **exc.values) from None
    # Those who completed the evaluation already: their PDFs go out with the running bot.
    await _deliver(session, settings, notices)
    return _done(done.key, done.values)


async def _deliver(session: AsyncSession, settings: Settings, notices: list[Any]) -> None:
    from bot.notify import deliver

    await deliver(session, Texts(settings.bot_default_language, settings.tz), notices)


def _texts(settings: Settings, args: argparse.Namespace) -> Any:
    language = getattr(args, "language", None) or settings.bot_default_language
    return Texts(language, settings.tz).for_language(language)


async def _siasn(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    program = await _program(session, args.code)
    assert program.id is not None
    rows = await certificate_records.siasn_rows(
        session, Access.command_line(), program.id, tz=settings.tz
    )
    t = _texts(settings, args)
    data = siasn_csv(rows) if args.format == "csv" else siasn_workbook(rows, t)
    path = args.output or Path(f"siasn-{program.code}.{args.format}")
    path.write_bytes(data)
    print(say("certificates.siasn_caption", count=len(rows)), path)
    return 0


async def _zip(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    program = await _program(session, args.code)
    assert program.id is not None
    name, data, count = await program_zip(
        session, program.id, _texts(settings, args), base_url=settings.web_base_url
    )
    path = args.output or Path(name)
    path.write_bytes(data)
    print(say("certificates.zip_caption", count=count), path)
    return 0


async def _revoke(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    try:
        if args.action == "revoke":
            done = await certificates.revoke(
                session, Access.command_line(), args.number, now=utcnow()
            )
        else:
            # The holder's new PDF goes out with the running bot's outbox.
            done, notices = await certificates.reissue(
                session, Access.command_line(), args.number, now=utcnow()
            )
            await _deliver(session, settings, notices)
    except Refused as exc:
        raise CliError(exc.key, **exc.values) from None
    return _done(done.key, done.values)


ACTIONS = {
    "classlist": _classlist,
    "certificates": _settings,
    "siasn": _siasn,
    "zip": _zip,
    "revoke": _revoke,
    "reissue": _revoke,
}
