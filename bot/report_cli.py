"""`python -m bot report skm`: a unit's SKM report (PermenPANRB 14/2017) as XLSX and PDF.

python -m bot report skm --unit LSL-DUKCAPIL --period 2026-S2 --output laporan/ --language id
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings


def add_parser(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="write a report file (skm: a unit's SKM report as XLSX and PDF)",
        description="skm: the SKM report of one unit for a half-year or a year "
        "(PermenPANRB 14/2017): respondents against the Krejcie-Morgan minimum, NRR per "
        "element, IKM and grade, a follow-up plan to fill in, the questionnaire as an annex.",
    )
    report.add_argument("what", choices=["skm"], help="which report")
    report.add_argument("--unit", required=True, help="the unit's code (see /unit)")
    report.add_argument("--period", required=True, help="2026-S1, 2026-S2 or 2026")
    report.add_argument("--output", default=".", help="folder for the two files")
    report.add_argument("--language", choices=["id", "en"], default=None)


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core import build_core
    from bot.reports import skm_files
    from bot.services import skm_report
    from bot.services.errors import Refused
    from bot.storage.places import LEVEL_UNIT, place_by_code

    core = build_core(settings, analyzer=False)
    try:
        await core.db.migrate()
        t = core.texts.for_language(args.language or settings.bot_default_language)
        async with core.db.session() as session:
            place = await place_by_code(session, args.unit)
            if place is None or place.id is None or place.level != LEVEL_UNIT:
                print(f"report: no unit {args.unit!r}", file=sys.stderr)
                return 2
            try:
                report = await skm_report.compute(
                    session, core, unit_id=place.id, period=args.period, t=t
                )
            except Refused as exc:
                print(f"report: {t(exc.key, **exc.values)}", file=sys.stderr)
                return 2
        files = [
            (skm_files.file_name(report, "xlsx"), skm_files.report_xlsx(report, t)),
            (skm_files.file_name(report, "pdf"), skm_files.report_pdf(report, t)),
        ]
        await asyncio.to_thread(_write, Path(args.output), files)
        if report.withheld:
            print(f"figures withheld: {report.respondents} respondents (< {report.min_responses})")
        elif report.ikm is not None:
            print(f"IKM {report.ikm:.2f} grade {report.grade}, {report.respondents} respondents")
        return 0
    finally:
        await core.close()


def _write(folder: Path, files: list[tuple[str, bytes]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        (folder / name).write_bytes(data)
        print(f"written {folder / name}")


def run(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_run(settings, args))
