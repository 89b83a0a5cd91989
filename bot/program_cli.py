"""`python -m bot program ...` and `export feedback`: a training calendar set up by an admin.

Times are written in the deployment's time zone. Mistakes are printed one per line, in English,
with the row they are on when importing, and the command exits with status 2; an import stores
nothing unless every row is right.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import html
import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.i18n import Texts
from bot.services import feedback
from bot.services import programs as service
from bot.services.errors import Refused
from bot.services.programs import ProgramError, ProgramSpec
from bot.services.questionnaires import seed_templates
from bot.storage import programs as store
from bot.storage.db import Database
from bot.storage.places import LEVEL_UNIT, get_place, place_by_code, seed_places
from bot.storage.programs import MODES, Program
from bot.storage.types import utcnow

# Column names accepted in an import file (English or Indonesian) -> field.
HEADERS = {
    "title": "title",
    "judul": "title",
    "unit": "unit",
    "start": "start",
    "mulai": "start",
    "end": "end",
    "selesai": "end",
    "provider": "provider",
    "penyelenggara": "provider",
    "pelaksana": "provider",
    "mode": "mode",
    "moda": "mode",
    "instructors": "instructors",
    "pengajar": "instructors",
}
REQUIRED = ("title", "unit", "start", "end")
_FORMATS = ("%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M")


class CliError(Exception):
    """A mistake in what the admin wrote; printed as it is."""


def add_parsers(commands: Any) -> None:
    program = commands.add_parser(
        "program",
        help="training programs: create, import a calendar, list, send the questionnaire",
        description="Sets up training programs from the command line (times in BOT_TIMEZONE).",
    )
    actions = program.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create one program")
    create.add_argument("--title", required=True)
    create.add_argument("--unit", required=True, help="unit code (see /unit in the chat)")
    create.add_argument("--start", required=True, help='"YYYY-MM-DD HH:MM"')
    create.add_argument("--end", required=True, help='"YYYY-MM-DD HH:MM"')
    create.add_argument("--provider")
    create.add_argument("--mode", choices=MODES, default=MODES[0])
    create.add_argument("--instructors", default="", help='"Name; Name"')
    create.add_argument("--window-days", type=int, help="days to answer after the end")
    create.add_argument("--json", action="store_true", help="print one JSON object")
    importing = actions.add_parser(
        "import",
        help="create programs from a CSV or XLSX file (all rows checked first)",
        description="Columns: title, unit, start, end, provider, mode, instructors (or judul, "
        "unit, mulai, selesai, penyelenggara, moda, pengajar); a header row first.",
    )
    importing.add_argument("file", type=Path)
    actions.add_parser("list", help="the programs, newest first")
    send = actions.add_parser("send", help="send a program's questionnaire now")
    send.add_argument("code")


def run(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    try:
        return asyncio.run(_run(settings, args))
    except CliError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    db = Database(settings.database_url)
    try:
        await db.migrate()
        async with db.session() as session:
            await seed_places(session, settings.places_file)
            await seed_templates(session)
            result = await _ACTIONS[args.action](session, settings, args)
            await session.commit()
        return result
    finally:
        await db.dispose()


def message(error: Refused) -> str:
    """The English text of a refusal, as plain text for a terminal."""
    text = Texts("en", ZoneInfo("UTC")).for_language("en")(error.key, **error.values)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def parse_moment(value: object, settings: Settings) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value or "").strip()
        for pattern in _FORMATS:
            try:
                moment = dt.datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            raise CliError(f'{text!r} is not a time like "2026-11-25 08:00"')
    return moment.replace(tzinfo=settings.tz) if moment.tzinfo is None else moment


@dataclass
class _Row:
    number: int
    spec: ProgramSpec
    unit_code: str


async def _spec(
    session: AsyncSession, settings: Settings, values: dict[str, Any], window_days: int | None
) -> tuple[ProgramSpec, str]:
    code = str(values.get("unit") or "").strip()
    unit = await place_by_code(session, code) if code else None
    if unit is None or unit.level != LEVEL_UNIT or unit.id is None:
        raise CliError(f"unknown unit code {code!r} (the chat's /unit lists them)")
    mode = str(values.get("mode") or MODES[0]).strip().lower().replace("-", "")
    spec = ProgramSpec(
        title=str(values.get("title") or "").strip(),
        unit_id=unit.id,
        starts_at=parse_moment(values.get("start"), settings),
        ends_at=parse_moment(values.get("end"), settings),
        provider=str(values["provider"]).strip() if values.get("provider") else None,
        mode=mode,
        instructors=service.parse_instructors(str(values.get("instructors") or "")),
        window_days=window_days or settings.feedback_window_days,
        followup_weeks=settings.followup_weeks,
    )
    try:
        service.check_spec(spec, now=utcnow())
    except ProgramError as exc:
        raise CliError(message(exc)) from None
    return spec, unit.code


def _described(program: Program, unit: str, settings: Settings) -> dict[str, object]:
    link = service.join_link(program, settings.bot_username) if settings.bot_username else None
    return {
        "code": program.code,
        "payload": service.deep_link_payload(program),
        "link": link,
        "title": program.title,
        "unit": unit,
        "starts_at": program.starts_at.astimezone(settings.tz).isoformat(),
        "ends_at": program.ends_at.astimezone(settings.tz).isoformat(),
        "closes_at": program.closes_at.astimezone(settings.tz).isoformat(),
    }


async def _create(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    values = vars(args)
    spec, unit = await _spec(session, settings, values, args.window_days)
    program = await service.create_program(session, spec=spec, caller=None, now=utcnow())
    described = _described(program, unit, settings)
    if args.json:
        print(json.dumps(described, ensure_ascii=False))
        return 0
    print(f"Program {program.code} created: {program.title}")
    print(f"Deep-link payload: {described['payload']}")
    print(f"Join link: {described['link'] or '(set BOT_USERNAME to print it)'}")
    print(f"Join with: /gabung {program.code}")
    return 0


def read_table(
    path: Path,
    headers: dict[str, str] = HEADERS,
    required: tuple[str, ...] = REQUIRED,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number as a spreadsheet counts it, values by field) for each non-empty row; the
    header is the first row that is not blank. `headers`: column name -> field."""
    if not path.exists():
        raise CliError(f"no such file: {path}")
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        if sheet is None:
            raise CliError(f"{path} has no sheet")
        lines: list[list[Any]] = [list(row) for row in sheet.iter_rows(values_only=True)]
    elif path.suffix.lower() == ".csv":
        lines = _csv_lines(path)
    else:
        raise CliError("the file must be .csv or .xlsx")
    header = next((n for n, line in enumerate(lines) if _filled(line)), None)
    if header is None:
        raise CliError(f"{path} is empty")
    fields = [headers.get(str(name or "").strip().lower()) for name in lines[header]]
    missing = [name for name in required if name not in fields]
    if missing:
        raise CliError(
            f"columns missing in the header row (row {header + 1}): {', '.join(missing)}"
            f"; the header names: {', '.join(sorted(headers))}"
        )
    for number, line in enumerate(lines[header + 1 :], start=header + 2):
        if not _filled(line):
            continue
        yield number, {f: v for f, v in zip(fields, line, strict=False) if f is not None}


def _filled(line: list[Any]) -> bool:
    return any(str(cell or "").strip() for cell in line)


def _csv_lines(path: Path) -> list[list[Any]]:
    """A CSV file's rows: UTF-8 (with or without Excel's BOM), else Excel's "CSV" of Windows
    (Windows-1252, which Excel calls ANSI), said on stderr; the delimiter as Excel wrote it
    (comma, semicolon or tab), a comma when there is only one column."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise CliError(
                f"{path} is neither UTF-8 nor Windows-1252 text: in Excel, save it as "
                '"CSV UTF-8 (Comma delimited)"'
            ) from None
        print(
            f"{path}: read as Windows-1252 (Excel's ANSI); to be sure of every letter, save it "
            'as "CSV UTF-8 (Comma delimited)"',
            file=sys.stderr,
        )
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        dialect: Any = csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:  # one column: nothing to sniff
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


async def _import(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    rows: list[_Row] = []
    errors: list[str] = []
    for number, values in read_table(args.file):
        try:
            spec, unit = await _spec(session, settings, values, None)
        except CliError as exc:
            errors.append(f"row {number}: {exc}")
            continue
        rows.append(_Row(number, spec, unit))
    if errors:
        for line in errors:
            print(line, file=sys.stderr)
        raise CliError(f"{len(errors)} row(s) wrong; nothing was imported")
    for row in rows:
        program = await service.create_program(session, spec=row.spec, caller=None, now=utcnow())
        print(f"{program.code}  {program.title}")
    print(f"{len(rows)} programs imported")
    return 0


async def _list(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.programs import figures

    tz = settings.tz
    for program in await store.programs_of_units(session, None, limit=500):
        unit = await get_place(session, program.unit_id)
        numbers = await figures(session, program, minimum=1)
        start = program.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        end = program.ends_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        print(
            f"{program.code}  {program.title}  [{unit.code if unit else '?'}]  {start} - {end}"
            f"  {program.status}  participants {numbers.participants}"
            f"  answered {numbers.respondents}"
        )
    return 0


async def _send(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    program = await store.program_by_code(session, args.code)
    if program is None:
        raise CliError(f"no program has the code {args.code!r}")
    if await feedback.send_now(session, program, now=utcnow()):
        print(f"The questionnaire of {program.code} is queued; the running bot sends it.")
    else:
        print(f"The questionnaire of {program.code} was sent already ({program.status}).")
    return 0


_ACTIONS = {"create": _create, "import": _import, "list": _list, "send": _send}


def export_feedback(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from bot.reports.feedback_export import feedback_rows, to_csv, to_xlsx

    async def _rows() -> tuple[list[str], list[dict[str, object]]]:
        db = Database(settings.database_url)
        try:
            await db.migrate()
            async with db.session() as session:
                ids = None
                if args.program:
                    program = await store.program_by_code(session, args.program)
                    if program is None or program.id is None:
                        raise CliError(f"no program has the code {args.program!r}")
                    ids = [program.id]
                return await feedback_rows(
                    session, tz=settings.tz, program_ids=ids, since=args.since
                )
        finally:
            await db.dispose()

    try:
        columns, rows = asyncio.run(_rows())
    except CliError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    data = to_csv(columns, rows) if args.format == "csv" else to_xlsx(columns, rows)
    today = dt.datetime.now(settings.tz).date().isoformat()
    path = Path(args.output or f"feedback-{today}.{args.format}")
    path.write_bytes(data)
    print(f"{len(rows)} questionnaires written to {path}")
    return 0
