"""Command line: python -m bot COMMAND (also installed as `suara`); see --help."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import Settings, load_settings
from bot.logging_setup import setup_logging

SANDBOX_DATABASE = "sqlite+aiosqlite:///./data/sandbox.db"


def _parser(*, tools: bool = True) -> argparse.ArgumentParser:
    """Every command; without `tools`, only the bot's own (`run` and the commands defined
    here), leaving out the program, questionnaire, digest, report and units tools, whose
    modules load the workbook, PDF and form libraries (about 30 MB and a third of start-up)."""
    parser = argparse.ArgumentParser(
        prog="suara",
        description="Suara: Telegram bot for ASN training feedback and citizen complaints.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run the bot (polling, or webhook when WEBHOOK_URL is set); without "
        "TELEGRAM_BOT_TOKEN, start the sandbox",
        description="Runs the bot: with long polling, or as a webhook worker when WEBHOOK_URL "
        "is set (see docs/operations.md). Settings come from the environment and .env (see "
        "README). Without a token the sandbox starts instead (the scripted demo when there "
        "is no terminal).",
    )
    run.add_argument(
        "--webhook",
        action="store_true",
        help="insist on webhook mode (fails when WEBHOOK_URL is not set)",
    )
    migrate = commands.add_parser(
        "migrate",
        help="create or upgrade the database schema",
        description="Applies the Alembic migrations to DATABASE_URL (also done on start).",
    )
    migrate.add_argument(
        "--copy-from",
        metavar="URL",
        help="then copy every row from this database (e.g. sqlite:///data/suara.db) into the "
        "empty DATABASE_URL, checked by row counts; stop the bot first",
    )
    sandbox = commands.add_parser(
        "sandbox",
        help="chat with the bot in this terminal through the local Bot API emulator",
        description="Starts the local Bot API emulator and the real bot; you play a "
        "citizen, an ASN or an organizer (type !bantuan inside for the controls).",
    )
    sandbox.add_argument("--database", default=SANDBOX_DATABASE, help="database URL to use")
    demo = commands.add_parser(
        "demo",
        help="print a scripted conversation (no input needed)",
        description="Runs a scripted walk-through on the emulator and prints it.",
    )
    demo.add_argument(
        "--database",
        default=None,
        help="database URL to use (default: a fresh one in a temporary folder)",
    )
    export = commands.add_parser(
        "export",
        help="export complaints or training feedback as CSV or XLSX",
        description="complaints: one row per complaint (identity columns empty for anonymous "
        "ones). feedback: one row per submitted training questionnaire, without names.",
    )
    export.add_argument("what", choices=["complaints", "feedback"], help="what to export")
    export.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    export.add_argument("--since", type=_date, help="only rows on or after YYYY-MM-DD")
    export.add_argument("--program", help="feedback: only this program's code")
    export.add_argument("--output", help="file to write (default: <what>-<date>.<format>)")
    if tools:
        _add_tools(commands)
    sentiment = commands.add_parser(
        "sentiment",
        help="label texts from standard input (one per line): label<TAB>polarity",
        description="Reads texts from standard input, one per line, and writes "
        "'label<TAB>polarity' for each, in order. With --recompute, scores every stored "
        "complaint description and rating comment again (after the model changed).",
    )
    sentiment.add_argument(
        "--recompute", action="store_true", help="rescore what is stored in DATABASE_URL"
    )
    return parser


def _add_tools(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from bot.program_cli import add_parsers

    add_parsers(commands)
    from bot.questionnaire_cli import add_parser as add_questionnaire_parser

    add_questionnaire_parser(commands)
    from bot.digest_cli import add_parser as add_digest_parser

    add_digest_parser(commands)
    from bot.report_cli import add_parser as add_report_parser

    add_report_parser(commands)
    from bot.units_cli import add_parser as add_units_parser

    add_units_parser(commands)


def _sentiment_stream() -> None:
    from bot.analysis.sentiment import default_model

    model = default_model()
    out = sys.stdout
    for line in sys.stdin:
        result = model.analyze(line.rstrip("\r\n"))
        out.write(f"{result.label}\t{result.polarity:.4f}\n")
    out.flush()


async def _recompute(settings: Settings) -> int:
    from bot.analysis.sentiment import sentiment_of
    from bot.services.complaints import recompute_sentiment
    from bot.storage.db import Database

    db = Database(settings.database_url)
    try:
        await db.migrate()
        async with db.session() as session:
            changed = await recompute_sentiment(session, sentiment_of)
            await session.commit()
    finally:
        await db.dispose()
    return changed


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


async def _export_rows(settings: Settings, args: argparse.Namespace) -> list[dict[str, object]]:
    from bot.reports.export import complaint_rows
    from bot.storage.db import Database

    db = Database(settings.database_url)
    try:
        await db.migrate()
        async with db.session() as session:
            return await complaint_rows(session, since=args.since, unit_ids=None, tz=settings.tz)
    finally:
        await db.dispose()


def _export(settings: Settings, args: argparse.Namespace) -> Path:
    from bot.reports.export import to_csv, to_xlsx

    rows = asyncio.run(_export_rows(settings, args))
    data = to_csv(rows) if args.format == "csv" else to_xlsx(rows)
    today = dt.datetime.now(settings.tz).date().isoformat()
    path = Path(args.output or f"complaints-{today}.{args.format}")
    path.write_bytes(data)
    print(f"{len(rows)} complaints written to {path}")
    return path


def _copy(settings: Settings, source: str) -> int:
    from bot.config import load_settings as settings_for
    from bot.storage.copy import CopyError, copy_database

    try:
        source_url = settings_for(DATABASE_URL=source).database_url
        copied = asyncio.run(copy_database(source_url, settings.database_url))
    except (CopyError, ValueError) as exc:
        print(f"Copy refused: {exc}", file=sys.stderr)
        return 2
    wrong = [c for c in copied if c.source != c.target]
    for c in copied:
        mark = "ok" if c.source == c.target else "DIFFERENT"
        print(f"{c.table}: {c.source} -> {c.target} {mark}")
    if wrong:
        print("Row counts differ: do not switch to the copy.", file=sys.stderr)
        return 1
    print(f"Copied into {_safe_url(settings.database_url)}: every table's rows match.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `run` (the bot itself) parses without the tools' parsers: the first reply comes sooner
    # and the idle process is smaller. Anything else, `--help` included, sees every command.
    args = _parser(tools=argv[:1] != ["run"]).parse_args(argv)
    settings = load_settings()
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    level = settings.log_level if args.command in ("run", "migrate") else "WARNING"
    setup_logging(level, token, secret)

    if args.command == "migrate" and args.copy_from:
        return _copy(settings, args.copy_from)
    if args.command == "migrate":
        from bot.storage.db import Database

        async def _migrate() -> None:
            db = Database(settings.database_url)
            await db.migrate()
            await db.dispose()

        asyncio.run(_migrate())
        print(f"Database is up to date: {_safe_url(settings.database_url)}")
        return 0

    if args.command == "sentiment":
        if args.recompute:
            print(f"{asyncio.run(_recompute(settings))} complaints rescored")
        else:
            _sentiment_stream()
        return 0

    if args.command == "export" and args.what == "feedback":
        from bot.program_cli import export_feedback

        return export_feedback(settings, args)
    if args.command == "export":
        _export(settings, args)
        return 0
    if args.command == "digest":
        from bot.digest_cli import run as run_digest

        return run_digest(settings, args)
    if args.command == "report":
        from bot.report_cli import run as run_report

        return run_report(settings, args)
    if args.command == "units":
        from bot.units_cli import run as run_units

        return run_units(settings, args)
    if args.command == "program":
        from bot.program_cli import run as run_program

        return run_program(settings, args)
    if args.command == "questionnaire":
        from bot.questionnaire_cli import run as run_questionnaire

        return run_questionnaire(settings, args)

    if args.command == "run" and token is None:
        interactive = sys.stdin.isatty()
        mode = "sandbox" if interactive else "scripted demo"
        print(
            f"TELEGRAM_BOT_TOKEN is not set: starting the {mode} on the local Bot API "
            "emulator (see README to run the real bot).",
            flush=True,
        )
        setup_logging("WARNING", None)
        args.command = "sandbox" if interactive else "demo"
        args.database = SANDBOX_DATABASE if interactive else None

    if args.command == "sandbox":
        from bot.sandbox.console import run_console

        asyncio.run(run_console(load_settings(DATABASE_URL=args.database).database_url))
        return 0
    if args.command == "demo":
        import tempfile

        from bot.sandbox.demo import run_demo

        with tempfile.TemporaryDirectory() as folder:
            url = args.database or f"sqlite:///{folder}/demo.db"
            asyncio.run(run_demo(load_settings(DATABASE_URL=url).database_url))
        return 0

    return _run(settings, webhook=args.webhook)


class Unreachable(Exception):
    """The bot cannot start: what it needs does not answer; the message is the one line."""


async def _reach_database(settings: Settings) -> None:
    """Opens the database and asks it SELECT 1, before anything else starts."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from bot.storage.db import Database

    where = _safe_url(settings.database_url)
    try:
        db = Database(settings.database_url, pool_size=1)
        try:
            async with db.engine.connect() as connection:
                await asyncio.wait_for(connection.execute(text("SELECT 1")), 30)
        finally:
            await db.dispose()
    except (OSError, SQLAlchemyError) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise Unreachable(f"cannot reach the database at {where}: {_one_line(reason)}") from None


async def _serve(settings: Settings, *, webhook: bool) -> None:
    from telegram.error import InvalidToken, NetworkError

    from bot.runner import BotRunner, run_until_signal

    await _reach_database(settings)
    try:
        if webhook:
            from bot.webhook import WebhookWorker

            await run_until_signal(WebhookWorker(settings))
        else:
            await run_until_signal(BotRunner(settings))
    except InvalidToken:
        raise Unreachable(
            "Telegram refused the bot token (TELEGRAM_BOT_TOKEN); copy it again from @BotFather"
        ) from None
    except NetworkError as exc:
        raise Unreachable(
            f"cannot reach Telegram at {settings.telegram_api_base_url}: {_one_line(exc)}"
        ) from None


def _one_line(reason: object) -> str:
    text = " ".join(str(reason).split()) or type(reason).__name__
    return text[:300]


def _run(settings: Settings, *, webhook: bool) -> int:
    from bot.storage.db import SchemaBehind

    if webhook and not settings.webhook_url:
        print(
            "Configuration error: --webhook needs WEBHOOK_URL (and WEBHOOK_SECRET)",
            file=sys.stderr,
        )
        return 2
    try:
        asyncio.run(_serve(settings, webhook=bool(settings.webhook_url)))
    except SchemaBehind as exc:
        print(f"Not started: {exc}", file=sys.stderr)
        return 3
    except Unreachable as exc:
        token = settings.telegram_bot_token
        line = str(exc).replace(token.get_secret_value(), "<token>") if token else str(exc)
        print(f"Suara: {line}", file=sys.stderr)
        return 3
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    raise SystemExit(main())
