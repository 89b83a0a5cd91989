"""`python -m bot program ...` and `export feedback`: a training calendar set up by an admin.

Times are written in the deployment's time zone. Mistakes are printed one per line, in the
admin's language (`--language id|en`, else BOT_DEFAULT_LANGUAGE, from the catalogs), with the
row they are on when importing, and the command exits with status 2; an import stores nothing
unless every row is right. Importing a calendar again updates its programs (the same unit, title
and start) instead of adding copies.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
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
from bot.core import build_core
from bot.i18n import LANGUAGES, Texts
from bot.services import feedback
from bot.services import programs as service
from bot.services.access import Access
from bot.services.programs import ProgramError, ProgramSpec
from bot.services.questionnaires import seed_templates
from bot.storage import programs as store
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
    """A mistake in what the admin wrote: a text key and its values, printed in the admin's
    language."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


# The admin's language for this run (set by `run`, from --language or BOT_DEFAULT_LANGUAGE).
_language = {"code": "en"}


def use_language(code: str) -> None:
    """The language of this run's messages."""
    _language["code"] = code


def say(key: str, **values: object) -> str:
    """A text of the catalogs in the admin's language, as plain text for a terminal."""
    language = _language["code"]
    text = _texts(language).for_language(language)(key, **values)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


@functools.cache
def _texts(language: str) -> Texts:
    return Texts(language, ZoneInfo("UTC"))


def _said(error: CliError) -> str:
    return say(error.key, **error.values)


def _language_option() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--language",
        choices=LANGUAGES,
        help="language of the messages (default: BOT_DEFAULT_LANGUAGE)",
    )
    return common


def add_parsers(commands: Any) -> None:
    program = commands.add_parser(
        "program",
        help="training programs: create, import a calendar, list, send the questionnaire",
        description="Sets up training programs from the command line (times in BOT_TIMEZONE).",
    )
    actions = program.add_subparsers(dest="action", required=True, metavar="ACTION")
    common = _language_option()
    create = actions.add_parser("create", help="create one program", parents=[common])
    create.add_argument("--title", required=True)
    create.add_argument("--unit", required=True, help="unit code (see /unit in the chat)")
    create.add_argument("--start", required=True, help='"YYYY-MM-DD HH:MM"')
    create.add_argument("--end", required=True, help='"YYYY-MM-DD HH:MM"')
    create.add_argument("--provider")
    create.add_argument("--mode", choices=MODES, default=MODES[0])
    create.add_argument("--instructors", default="", help='"Name; Name"')
    create.add_argument("--window-days", type=int, help="days to answer after the end")
    create.add_argument(
        "--questionnaire", help="the questionnaire's code (default: the shipped pelatihan)"
    )
    create.add_argument("--json", action="store_true", help="print one JSON object")
    importing = actions.add_parser(
        "import",
        help="create programs from a CSV or XLSX file (all rows checked first)",
        description="Columns: title, unit, start, end, provider, mode, instructors (or judul, "
        "unit, mulai, selesai, penyelenggara, moda, pengajar); a header row first. A row with "
        "the unit, title and start of a stored program updates it.",
        parents=[common],
    )
    importing.add_argument("file", type=Path)
    actions.add_parser("list", help="the programs, newest first", parents=[common])
    send = actions.add_parser("send", help="send a program's questionnaire now", parents=[common])
    send.add_argument("code")
    test = actions.add_parser(
        "test",
        help="give a program its knowledge test (a template of choices with a correct option)",
        parents=[common],
    )
    test.add_argument("code")
    test.add_argument("template")
    from bot import certificates_cli

    certificates_cli.add_actions(actions, common)


def run(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    _language["code"] = getattr(args, "language", None) or settings.bot_default_language
    try:
        return asyncio.run(_run(settings, args))
    except CliError as exc:
        print(say("cli.error", message=_said(exc)), file=sys.stderr)
        return 2


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    db = build_core(settings, analyzer=False).db
    try:
        await db.migrate()
        async with db.session() as session:
            await seed_places(session, settings.places_file)
            await seed_templates(session)
            result = await _action(args.action)(session, settings, args)
            await session.commit()
        return result
    finally:
        await db.dispose()


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
            raise CliError("cli.bad_time", text=repr(text))
    return moment.replace(tzinfo=settings.tz) if moment.tzinfo is None else moment


async def _spec(
    session: AsyncSession,
    settings: Settings,
    values: dict[str, Any],
    window_days: int | None,
    *,
    now: dt.datetime | None,
) -> tuple[ProgramSpec, str]:
    """The row (or the options) as a program; with `now`, refused when its answering time is
    over already."""
    code = str(values.get("unit") or "").strip()
    unit = await place_by_code(session, code) if code else None
    if unit is None or unit.level != LEVEL_UNIT or unit.id is None:
        raise CliError("cli.unknown_unit", code=repr(code))
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
        questionnaire=str(values.get("questionnaire") or "").strip() or None,
    )
    _checked(spec, now)
    return spec, unit.code


def _checked(spec: ProgramSpec, now: dt.datetime | None) -> None:
    try:
        service.check_spec(spec, now=now)
    except ProgramError as exc:
        raise CliError(exc.key, **exc.values) from None


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
    spec, unit = await _spec(session, settings, values, args.window_days, now=utcnow())
    try:
        program = await service.create_program(
            session, spec=spec, caller=Access.command_line(), now=utcnow()
        )
    except ProgramError as exc:
        raise CliError(exc.key, **exc.values) from None
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
        raise CliError("cli.no_file", path=str(path))
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        if sheet is None:
            raise CliError("cli.no_sheet", path=str(path))
        lines: list[list[Any]] = [list(row) for row in sheet.iter_rows(values_only=True)]
    elif path.suffix.lower() == ".csv":
        lines = _csv_lines(path)
    else:
        raise CliError("cli.bad_suffix")
    header = next((n for n, line in enumerate(lines) if _filled(line)), None)
    if header is None:
        raise CliError("cli.empty", path=str(path))
    fields = [headers.get(str(name or "").strip().lower()) for name in lines[header]]
    missing = [name for name in required if name not in fields]
    if missing:
        raise CliError(
            "cli.missing_columns",
            row=header + 1,
            missing=", ".join(missing),
            names=", ".join(sorted(headers)),
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
            raise CliError("cli.encoding", path=str(path)) from None
        print(say("cli.read_ansi", path=str(path)), file=sys.stderr)
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        dialect: Any = csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:  # one column: nothing to sniff
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


@dataclass
class _Row:
    number: int
    spec: ProgramSpec
    # The stored program of the same unit, title and start, if any, and whether the row
    # changes it.
    existing: Program | None
    changed: bool


async def _import(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    """Every row checked first; then a new program per new row, and the stored one updated
    for a row seen before (the same unit, title and start), so a calendar imported twice
    gives each program once."""
    now = utcnow()
    rows: list[_Row] = []
    errors: list[str] = []
    for number, values in read_table(args.file):
        try:
            spec, _unit = await _spec(session, settings, values, None, now=None)
            existing = await service.same_program(session, spec)
            changed = True
            if existing is not None:
                assert existing.id is not None
                # The calendar has no window column: an extended window stays extended.
                spec.window_days = service.spec_of(existing).window_days
                changed = not service.same_as(existing, spec)
                if changed and await service.has_answers(session, existing.id):
                    raise CliError("programs.edit_answered", title=existing.title)
            if changed:
                _checked(spec, now)
                # Listed by row before anything is stored, as `edit_program` would refuse it.
                if (
                    existing is not None
                    and existing.id is not None
                    and spec.instructors != existing.instructors
                    and await service.sent_out(session, existing.id)
                ):
                    raise CliError("programs.edit_sent", title=existing.title)
        except CliError as exc:
            errors.append(say("cli.row", number=number, message=_said(exc)))
            continue
        rows.append(_Row(number, spec, existing, changed))
    if errors:
        for line in errors:
            print(line, file=sys.stderr)
        raise CliError("cli.rows_wrong", count=len(errors))
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for row in rows:
        if row.existing is None:
            # A row repeated in the file updates the program its first copy created.
            again = await service.same_program(session, row.spec)
            if again is not None:
                row.existing = again
        if row.existing is None:
            program = await service.create_program(
                session, spec=row.spec, caller=Access.command_line(), now=now
            )
            kind = "created"
        elif not row.changed or service.same_as(row.existing, row.spec):
            program, kind = row.existing, "unchanged"
        else:
            assert row.existing.id is not None
            try:
                done = await service.edit_program(
                    session, Access.command_line(), row.existing.id, spec=row.spec, now=now
                )
            except ProgramError as exc:
                raise CliError(exc.key, **exc.values) from None
            program, kind = done.program, "updated"
        counts[kind] += 1
        print(say(f"cli.import_{kind}", code=program.code, title=program.title))
    print(say("cli.imported", total=len(rows), **counts))
    return 0


async def _list(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.programs import figures

    tz = settings.tz
    for program in await store.programs_of_units(session, None, limit=500):
        unit = await get_place(session, program.unit_id)
        numbers = await figures(session, program)
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
        raise CliError("cli.no_program", code=repr(args.code))
    if await feedback.send_now(session, program, now=utcnow()):
        print(f"The questionnaire of {program.code} is queued; the running bot sends it.")
    else:
        print(f"The questionnaire of {program.code} was sent already ({program.status}).")
    return 0


async def _test(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import knowledge
    from bot.services.errors import Refused

    program = await store.program_by_code(session, args.code)
    if program is None or program.id is None:
        raise CliError("cli.no_program", code=repr(args.code))
    try:
        done = await knowledge.configure(session, Access.command_line(), program.id, args.template)
    except Refused as exc:
        raise CliError(exc.key, **exc.values) from None
    print(say(done.key, **done.values))
    return 0


_ACTIONS = {"create": _create, "import": _import, "list": _list, "send": _send, "test": _test}


def _action(name: str) -> Any:
    """The action's function: the calendar's here, the class list's and certificates' in
    bot/certificates_cli.py."""
    from bot import certificates_cli

    return _ACTIONS.get(name) or certificates_cli.ACTIONS[name]


def export_feedback(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from bot.reports.feedback_export import feedback_rows, to_csv, to_xlsx

    async def _rows() -> tuple[list[str], list[dict[str, object]]]:
        db = build_core(settings, analyzer=False).db
        try:
            await db.migrate()
            async with db.session() as session:
                ids = None
                if args.program:
                    program = await store.program_by_code(session, args.program)
                    if program is None or program.id is None:
                        raise CliError("cli.no_program", code=repr(args.program))
                    ids = [program.id]
                return await feedback_rows(
                    session, tz=settings.tz, program_ids=ids, since=args.since
                )
        finally:
            await db.dispose()

    _language["code"] = getattr(args, "language", None) or settings.bot_default_language
    try:
        columns, rows = asyncio.run(_rows())
    except CliError as exc:
        print(say("cli.error", message=_said(exc)), file=sys.stderr)
        return 2
    data = to_csv(columns, rows) if args.format == "csv" else to_xlsx(columns, rows)
    today = dt.datetime.now(settings.tz).date().isoformat()
    path = Path(args.output or f"feedback-{today}.{args.format}")
    path.write_bytes(data)
    print(f"{len(rows)} questionnaires written to {path}")
    return 0
