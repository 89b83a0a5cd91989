"""The workspace's program pages at size: a unit with many programs, one of them answered by
many participants (two instructors, a comment each), then the time of the calendar's first
page, the program page's service (figures, results per item and instructor, comments) and its
chart (the digest's, as PNG). Reports; never asserts.

    python bench/program_page.py [--database-url URL] [--programs 2000] [--respondents 1000]

Each figure is the best of five runs on a warm database (a page load, not a cold start).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bot.i18n import Texts
from bot.reports.digest_files import chart_png
from bot.services import program_pages, releases
from bot.services.access import Access
from bot.services.digest import Bands
from bot.services.programs import ProgramSpec, create_program
from bot.services.questionnaires import seed_templates
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places
from bot.storage.programs import Participant
from bot.storage.questionnaires import (
    NO_INSTRUCTOR,
    PROGRAM_SUBJECT,
    RESPONSE_SUBMITTED,
    Answer,
    Response,
)

WIB = ZoneInfo("Asia/Jakarta")
RATED = ("relevansi", "pemahaman", "metode", "sarana", "layanan", "manfaat")
PER_INSTRUCTOR = ("penguasaan", "penyampaian")
INSTRUCTORS = ["Dr. Sari Wulandari", "Budi Hartono"]
MINIMUM = 5


async def _seed(db: Database, programs: int, respondents: int) -> tuple[int, int]:
    """The unit's programs over the years, and the answered one's id."""
    now = dt.datetime.now(dt.UTC)
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        assert unit is not None and unit.id is not None
        answered = await create_program(
            session,
            spec=ProgramSpec(
                title="Pelayanan Prima",
                unit_id=unit.id,
                starts_at=now - dt.timedelta(days=3),
                ends_at=now - dt.timedelta(days=1),
                instructors=INSTRUCTORS,
            ),
            caller=None,
            now=now,
        )
        for n in range(programs - 1):
            start = now + dt.timedelta(days=random.randint(-1500, 300))
            await create_program(
                session,
                spec=ProgramSpec(
                    title=f"Pelatihan {n}",
                    unit_id=unit.id,
                    starts_at=start,
                    ends_at=start + dt.timedelta(days=2),
                    window_days=60,
                ),
                caller=None,
                now=start,
            )
        assert answered.id is not None
        program_id = answered.id
        await session.execute(
            insert(Participant),
            [{"program_id": program_id, "user_id": 10_000 + n} for n in range(respondents)],
        )
        for n in range(respondents):
            response = Response(
                template_id=answered.template_id,
                subject_kind=PROGRAM_SUBJECT,
                subject_id=program_id,
                respondent_id=10_000 + n,
                status=RESPONSE_SUBMITTED,
                submitted_at=now - dt.timedelta(minutes=respondents - n),
            )
            session.add(response)
            await session.flush()
            assert response.id is not None
            rows = [{"response_id": response.id, "question": q, "instructor": NO_INSTRUCTOR,
                     "score": random.randint(1, 5)} for q in RATED]  # fmt: skip
            rows += [
                {"response_id": response.id, "question": q, "instructor": i,
                 "score": random.randint(1, 5)}
                for q in PER_INSTRUCTOR for i in range(len(INSTRUCTORS))
            ]  # fmt: skip
            comment = f"Saran peserta nomor {n}: materi perlu contoh kasus."
            rows.append(
                {"response_id": response.id, "question": "saran", "instructor": NO_INSTRUCTOR,
                 "text": comment}
            )  # fmt: skip
            await session.execute(insert(Answer), rows)
        await releases.release(
            session, kind=PROGRAM_SUBJECT, program_id=program_id, minimum=MINIMUM
        )
        await session.commit()
        return unit.id, program_id


async def _best(label: str, run: object) -> None:
    times = []
    for _ in range(5):
        began = time.perf_counter()
        await run()  # type: ignore[operator]
        times.append(time.perf_counter() - began)
    print(f"{label:<40} {min(times) * 1000:8.1f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--programs", type=int, default=2000)
    parser.add_argument("--respondents", type=int, default=1000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="suara-bench-"))
    db = Database(args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    await db.migrate()
    began = time.perf_counter()
    unit_id, program_id = await _seed(db, args.programs, args.respondents)
    print(f"seeded {args.programs} programs, {args.respondents} respondents "
          f"in {time.perf_counter() - began:.1f} s")  # fmt: skip
    caller = Access(user_id=1, units=frozenset({unit_id}))
    t = Texts("id", WIB).for_language("id")

    async def calendar() -> None:
        async with db.session() as session:
            await program_pages.calendar(
                session, caller, group="all", page=0, now=dt.datetime.now(dt.UTC),
                default_zone=WIB,
            )  # fmt: skip

    async def page() -> None:
        async with db.session() as session:
            shown = await program_pages.view(
                session, caller, program_id, minimum=MINIMUM, default_zone=WIB,
                now=dt.datetime.now(dt.UTC),
            )  # fmt: skip
            assert not shown.withheld and shown.lines and shown.comments

    async def results() -> None:
        async with db.session() as session:
            await program_pages.chart(
                session, caller, program_id, minimum=MINIMUM, now=dt.datetime.now(dt.UTC),
                today=dt.date.today(), bands=Bands(),
            )  # fmt: skip

    async def chart() -> None:
        async with db.session() as session:
            digest = await program_pages.chart(
                session, caller, program_id, minimum=MINIMUM, now=dt.datetime.now(dt.UTC),
                today=dt.date.today(), bands=Bands(),
            )  # fmt: skip
        await asyncio.to_thread(chart_png, digest, t)

    await _best("calendar, first page (20 rows)", calendar)
    await _best("program page (service)", page)
    await _best("chart's figures (service)", results)
    await _best("chart PNG (service + drawing)", chart)
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
