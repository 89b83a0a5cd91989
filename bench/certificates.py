"""Certificates: how long one PDF takes to build, and whether a class submitting at once slows
the chat. Reports against the targets (a PDF under 200 ms; 500 participants in an hour get
theirs without slowing chat replies); never asserts.

    python bench/certificates.py [--participants 500] [--renders 100] [--database-url URL]

Part 1 draws the same certificate `--renders` times. Part 2 lists and joins `--participants`
people, then issues their certificates as their submissions do (one transaction each) while
the outbox's builder draws each PDF in its thread: first back to back, as fast as the
database takes them (far denser than 500 in an hour), then the last `--paced` at the hour's
pace (one every 7.2 s). Meanwhile a probe does what a chat reply costs the database (a small
write transaction) every 20 ms; its latency is compared with the same probe at rest.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.config import Settings
from bot.core import build_core
from bot.reports import builders
from bot.reports.certificate_pdf import certificate_pdf
from bot.services import certificates, classlists
from bot.services.access import Access
from bot.services.certificates import CertificateView, Signatory
from bot.services.classlists import ListedPerson
from bot.services.programs import ProgramSpec, create_program
from bot.services.questionnaires import seed_templates
from bot.storage.models import ProcessedUpdate
from bot.storage.places import place_by_code, seed_places
from bot.storage.programs import Participant
from bot.storage.questionnaires import PROGRAM_SUBJECT, RESPONSE_SUBMITTED, Response

WIB = ZoneInfo("Asia/Jakarta")
SYSTEM = Access.command_line()


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def _renders(count: int) -> None:
    from bot.i18n import Texts

    t = Texts("id", WIB).for_language("id")
    view = CertificateView(
        "LPG-PROV-BPSDM/ABC234/0001/2026", "Sari Dewi Lestari, S.Kom.", "198503122010011002",
        "Pelatihan Pelayanan Publik Prima", dt.date(2026, 11, 2), dt.date(2026, 11, 4), 24,
        "BPSDM Provinsi Lampung", "BPSDM Provinsi Lampung", "Dr. Budi Santoso, M.Si.",
        "Kepala BPSDM Provinsi Lampung", "197001011995031001", dt.date(2026, 11, 5),
        "https://suara.example.go.id/v/LPG-PROV-BPSDM%2FABC234%2F0001%2F2026",
    )  # fmt: skip
    certificate_pdf(view, t)  # imports and fonts, once
    times = []
    for _ in range(count):
        start = time.perf_counter()
        certificate_pdf(view, t)
        times.append(time.perf_counter() - start)
    print(f"PDF build ({count}x): {_ms(times)}; target under 200 ms")


def _nip(n: int) -> str:
    return f"1985031220100{1 + n % 2}{1 + n // 900}{n % 900 + 1:03d}"


async def _class(url: str, participants: int, paced: int) -> None:
    settings = Settings(  # type: ignore[call-arg]
        DATABASE_URL=url, WEB_BASE_URL="https://suara.example.go.id", _env_file=None
    )
    core = build_core(settings, analyzer=False)
    db = core.db
    await db.migrate()
    ended = dt.datetime(2026, 11, 20, 15, 0, tzinfo=WIB)
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        unit = await place_by_code(session, "LPG-PROV-BPSDM")
        assert unit is not None and unit.id is not None
        spec = ProgramSpec("Bench", unit.id, ended - dt.timedelta(days=1), ended)
        program = await create_program(
            session, spec=spec, caller=None, now=ended - dt.timedelta(days=2)
        )
        assert program.id is not None
        program_id, template_id = program.id, program.template_id
        signatory = Signatory(24, "Budi Santoso", "Kepala")
        await certificates.configure(session, SYSTEM, program_id, signatory)
        rows = [(n + 2, ListedPerson(f"Peserta {n}", _nip(n))) for n in range(participants)]
        await classlists.import_list(session, SYSTEM, program_id, rows)
        session.add_all(
            Participant(program_id=program_id, user_id=10**9 + n, nip=_nip(n))
            for n in range(participants)
        )
        await session.flush()
        for participant in (await session.exec(select(Participant))).all():
            await classlists.match(session, participant)
        await session.commit()

    probe_ids = iter(range(1, 10**7))

    async def probe(until: asyncio.Event, latencies: list[float]) -> None:
        """What a chat reply costs the database: one small write transaction."""
        while not until.is_set():
            start = time.perf_counter()
            async with db.session() as session:
                session.add(ProcessedUpdate(update_id=next(probe_ids), user_id=1))
                await session.commit()
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(0.02)

    async def rest() -> list[float]:
        latencies: list[float] = []
        stop = asyncio.Event()
        task = asyncio.create_task(probe(stop, latencies))
        await asyncio.sleep(3)
        stop.set()
        await task
        return latencies

    quiet = await rest()
    built: asyncio.Queue[int | None] = asyncio.Queue()
    issue_times: list[float] = []
    build_times: list[float] = []

    async def submit_all(first: int, count: int, spacing: float) -> None:
        for n in range(first, first + count):
            if spacing:
                await asyncio.sleep(spacing)
            start = time.perf_counter()
            async with db.session() as session:
                response = Response(
                    template_id=template_id, subject_kind=PROGRAM_SUBJECT, subject_id=program_id,
                    respondent_id=10**9 + n, status=RESPONSE_SUBMITTED,
                    submitted_at=ended + dt.timedelta(hours=1),
                )  # fmt: skip
                session.add(response)
                await session.flush()
                notices = await certificates.on_submit(session, response)
                await session.commit()
            issue_times.append(time.perf_counter() - start)
            for notice in notices:
                for request in notice.files:
                    await built.put(int(str(request.params["certificate_id"])))
        await built.put(None)

    async def sender() -> None:
        while (certificate_id := await built.get()) is not None:
            start = time.perf_counter()
            request = {"kind": certificates.PDF_KIND, "params": {"certificate_id": certificate_id}}
            await builders.build(core, request)
            build_times.append(time.perf_counter() - start)

    async def run(first: int, count: int, spacing: float) -> tuple[float, list[float]]:
        latencies: list[float] = []
        stop = asyncio.Event()
        probing = asyncio.create_task(probe(stop, latencies))
        began = time.perf_counter()
        await asyncio.gather(submit_all(first, count, spacing), sender())
        took = time.perf_counter() - began
        stop.set()
        await probing
        return took, latencies

    burst = participants - paced
    took, loaded = await run(0, burst, 0.0)
    issue_times.clear()
    build_times_burst = list(build_times)
    build_times.clear()
    _, at_pace = await run(burst, paced, 3600 / participants)
    await db.dispose()
    print(
        f"{burst} certificates issued and built back to back in {took:.1f} s "
        f"(500 in an hour allow {3600 / participants:.1f} s each)"
    )
    print(f"  PDF per certificate through the builder: {_ms(build_times_burst)}")
    print(f"  a chat reply's transaction at rest: {_ms(quiet)}")
    print(f"  ... while the class submits back to back: {_ms(loaded)}")
    print(f"  ... while {paced} more submit at the hour's pace: {_ms(at_pace)}")
    print(f"  issue per submission at that pace: {_ms(issue_times)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--renders", type=int, default=100)
    parser.add_argument(
        "--paced", type=int, default=12, help="of them, how many submit at an hour's pace last"
    )
    parser.add_argument("--database-url")
    args = parser.parse_args()
    _renders(args.renders)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(_class(url, args.participants, min(args.paced, args.participants - 1)))


if __name__ == "__main__":
    main()
