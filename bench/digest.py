"""The weekly digest at scale: a database with 1,000,000 questionnaire answers and 100,000
complaints over a year, then the time and peak memory to build one organizer's digest and the
admins' digest (numbers, text, PNG and XLSX). Reports; never asserts.

    python bench/digest.py [--database-url URL] [--answers 1000000] [--complaints 100000]
                           [--reuse] [--runs 3]

Each measurement runs in a fresh process, so its peak resident memory is the digest's own
(plus the interpreter and libraries). Targets (issue: weekly digests): 2 s and 300 MB each.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlmodel import col, func, select

from bot.config import load_settings
from bot.core import build_core
from bot.jobs.digest import compose
from bot.services import releases
from bot.services.digest import Period
from bot.services.programs import ProgramSpec, create_program
from bot.services.questionnaires import seed_templates
from bot.storage.complaints import Complaint
from bot.storage.db import Database
from bot.storage.places import LEVEL_UNIT, Place, seed_places
from bot.storage.programs import Participant
from bot.storage.questionnaires import Answer, QuestionnaireTemplate, Response

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
WEEKS = 52
TRAINING_ITEMS = ("relevansi", "pemahaman", "metode", "sarana", "layanan", "manfaat")
CHUNK = 20_000
TICK = os.sysconf("SC_CLK_TCK")
CATEGORIES = ("Administrasi Kependudukan", "Kesehatan", "Infrastruktur")
# Descriptions and comments are drawn from a vocabulary of a few thousand words with a Zipf
# distribution, as real text is: a few function words in most texts, the service words of
# the domain next, then a long tail of rarer words (made of syllables, as Indonesian ones).
# Twenty words from two dozen equally likely ones (as before) made almost every search match a
# third of all complaints, which real descriptions do not.
FUNCTION_WORDS = "yang di dan tidak sudah ke saya untuk dengan ada".split()
WORDS = (
    "antrean lama pelayanan petugas ramah kantor ktp jalan rusak lampu air bersih sampah "
    "puskesmas obat jadwal sekolah bantuan sosial izin usaha pajak sinyal banjir"
).split()
VOCABULARY_SIZE = 4000
_SYLLABLES = [c + v for c in "bcdghjklmnprstw" for v in "aiueo"]


def vocabulary(size: int = VOCABULARY_SIZE) -> list[str]:
    """The words by rank: function words, the domain's words, then made-up ones, all distinct
    (a made-up word is three syllables, so none is part of a domain word's spelling)."""
    words = [*FUNCTION_WORDS, *WORDS]
    seen = set(words)
    rng = random.Random(11)
    while len(words) < size:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(3))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


VOCABULARY = vocabulary()
# Zipf's law, exponent 1: the word of rank r is drawn with weight 1 / r.
_CUMULATIVE = list(itertools.accumulate(1 / rank for rank in range(1, len(VOCABULARY) + 1)))


def sentence(rng: random.Random, length: int) -> str:
    return " ".join(rng.choices(VOCABULARY, cum_weights=_CUMULATIVE, k=length))


async def _insert(session, table, rows):  # type: ignore[no-untyped-def]
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(table), rows[start : start + CHUNK])


async def build_database(url: str, answers: int, complaints: int) -> None:
    rng = random.Random(7)
    db = Database(url)
    await db.migrate()
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        await session.commit()
    async with db.session() as session:
        units = [
            p.id
            for p in (await session.exec(select(Place).where(col(Place.level) == LEVEL_UNIT)))
            if p.id is not None
        ]
        pelatihan = (
            await session.exec(
                select(QuestionnaireTemplate.id).where(QuestionnaireTemplate.code == "pelatihan")
            )
        ).first()
        skm = (
            await session.exec(
                select(QuestionnaireTemplate.id).where(QuestionnaireTemplate.code == "skm")
            )
        ).first()
        # Training: 10 scored items per response (8 items + 2 instructor items).
        per_response = len(TRAINING_ITEMS) + 2 + 2  # + two comments
        training_responses = int(answers * 0.9) // per_response
        per_program = 50
        programs = []
        for n in range(training_responses // per_program):
            ends = NOW - dt.timedelta(days=rng.randrange(1, WEEKS * 7))
            program = await create_program(
                session,
                spec=ProgramSpec(
                    title=f"Pelatihan {n % 40}",
                    unit_id=rng.choice(units),
                    starts_at=ends - dt.timedelta(days=3),
                    ends_at=ends,
                    instructors=["Dr. Sari", "Budi Santoso"],
                ),
                caller=None,
                now=ends - dt.timedelta(days=4),
            )
            programs.append(program)
        await session.commit()
        print(f"programs: {len(programs)}", file=sys.stderr)
        participants, responses = [], []
        response_id = 0
        for program in programs:
            for person in range(per_program):
                user = 1_000_000 + person
                participants.append({"program_id": program.id, "user_id": user})
                response_id += 1
                submitted = program.ends_at + dt.timedelta(hours=rng.randrange(1, 120))
                responses.append(
                    {
                        "id": response_id,
                        "template_id": pelatihan,
                        "subject_kind": "program",
                        "subject_id": program.id,
                        "respondent_id": user,
                        "instructors": ["Dr. Sari", "Budi Santoso"],
                        "status": "submitted",
                        "created_at": submitted,
                        "submitted_at": submitted,
                        # Released with its block (bot/services/releases.py); the digest
                        # reads released answers only.
                        "released_at": submitted,
                    }
                )
        await _insert(session, Participant, participants)
        await _insert(session, Response, responses)
        rows = []
        for response in responses:
            base = rng.randint(2, 5)
            for item in TRAINING_ITEMS:
                score = min(5, max(1, base + rng.choice((-1, 0, 0, 1))))
                rows.append(_answer(response, item, -1, score=score))
            for instructor in (0, 1):
                rows.append(_answer(response, "penguasaan", instructor, score=rng.randint(3, 5)))
            for item in ("sulit", "saran"):
                words = sentence(rng, 8)
                label = rng.choice(("positive", "neutral", "negative"))
                rows.append(_answer(response, item, -1, text=words, label=label))
            if len(rows) >= CHUNK * 5:
                await _insert(session, Answer, rows)
                rows = []
        await _insert(session, Answer, rows)
        await session.commit()
        print(f"training answers: {len(responses) * per_response}", file=sys.stderr)

        complaint_rows = []
        states = ("baru", "diverifikasi", "ditindaklanjuti", "selesai", "selesai", "selesai")
        for n in range(complaints):
            created = NOW - dt.timedelta(minutes=rng.randrange(1, WEEKS * 7 * 24 * 60))
            state = rng.choice(states)
            closed = (
                created + dt.timedelta(days=rng.randint(1, 20)) if state == "selesai" else None
            )
            complaint_rows.append(
                {
                    "id": n + 1,
                    "ticket": f"ADU-B-{n + 1:07d}",
                    "reporter_id": 2_000_000 + n % 30_000,
                    "privacy": "rahasia",
                    "category": rng.choice(
                        ("Administrasi Kependudukan", "Kesehatan", "Infrastruktur")
                    ),
                    "unit_id": rng.choice(units),
                    "description": sentence(rng, 20),
                    "state": state,
                    "created_at": created,
                    "verify_due": (created + dt.timedelta(days=4)).date(),
                    "followup_due": (created + dt.timedelta(days=11)).date(),
                    "first_response_at": created + dt.timedelta(hours=rng.randint(1, 72)),
                    "closed_at": closed,
                    "rating": rng.randint(1, 5) if closed else None,
                }
            )
        await _insert(session, Complaint, complaint_rows)
        await session.commit()
        skm_rows, skm_answers = [], []
        remaining = answers - len(responses) * per_response
        for n in range(max(0, remaining) // 9):
            complaint = complaint_rows[n % len(complaint_rows)]
            response_id += 1
            submitted = complaint["created_at"] + dt.timedelta(days=3)
            skm_rows.append(
                {
                    "id": response_id,
                    "template_id": skm,
                    "subject_kind": "complaint",
                    "subject_id": complaint["id"],
                    "respondent_id": 3_000_000 + n,
                    "instructors": [],
                    "status": "submitted",
                    "created_at": submitted,
                    "submitted_at": submitted,
                }
            )
            for element in range(1, 10):
                skm_answers.append(
                    {"response_id": response_id, "question": f"u{element}", "instructor": -1,
                     "score": rng.randint(1, 4), "answered_at": submitted}
                )  # fmt: skip
        await _insert(session, Response, skm_rows)
        await _insert(session, Answer, skm_answers)
        await session.commit()
        # Stored unreleased, as an upgrade finds them: the start-up catch-up releases them in
        # blocks per unit (bot/services/releases.py); the digest reads released ratings only.
        started = time.perf_counter()
        released = await releases.catch_up(session, minimum=5)
        await session.commit()
        print(
            f"SKM start-up catch-up: {released} of {len(skm_rows)} ratings released "
            f"in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        total = (await session.exec(select(func.count()).select_from(Answer))).one()
        print(f"answers: {total}, complaints: {len(complaint_rows)}", file=sys.stderr)
    if url.startswith("postgresql"):
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))  # what autovacuum would do soon
    await db.optimize()  # what the bot does at start and daily on SQLite
    await db.dispose()


def _answer(response, question, instructor, *, score=None, text=None, label=None):  # type: ignore[no-untyped-def]
    return {
        "response_id": response["id"],
        "question": question,
        "instructor": instructor,
        "score": score,
        "text": text,
        "sentiment_label": label,
        "answered_at": response["submitted_at"],
    }


async def measure(url: str, who: str) -> dict[str, float]:
    settings = load_settings(DATABASE_URL=url, BOT_ADMIN_IDS="1")
    state = build_core(settings, analyzer=False)
    state.clock = lambda: NOW
    t = state.texts.for_language("id")
    period = Period.containing(NOW.date()).previous()
    # A running bot has these loaded after its first digest (about 1 s, once per process).
    import matplotlib.figure  # noqa: F401
    import openpyxl  # noqa: F401

    async with state.db.session() as session:
        scope = None
        if who == "organizer":
            busiest = (
                await session.exec(
                    select(Complaint.unit_id, func.count())
                    .group_by(col(Complaint.unit_id))
                    .order_by(func.count().desc())
                    .limit(1)
                )
            ).first()
            assert busiest is not None
            scope = [busiest[0]]
    server_before = await server_cpu(state.db)
    started, started_cpu = time.perf_counter(), time.process_time()
    async with state.db.session() as session:
        composed = await compose(session, state, scope, period, t)
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    server_after = await server_cpu(state.db)
    await state.db.dispose()
    peak_mb = _peak_rss_mb()
    server = None
    if server_before is not None and server_after is not None:
        server = sum(t - server_before.get(pid, 0.0) for pid, t in server_after.items())
    return {
        "seconds": seconds,
        "cpu": cpu,
        "server_cpu": server,
        "peak_mb": peak_mb,
        "text_chars": len(composed.text),
        "files_kb": sum(len(data) for _, _, data in composed.files) / 1024,
    }


async def server_cpu(db: Database) -> dict[int, float] | None:
    """CPU seconds of each PostgreSQL backend connected to this database (the server runs on
    this machine); None on SQLite, where this process does all the work, or when the
    server's processes are not visible here. On a machine busy with other work, wall time
    measures the wait for a core; CPU time is the digest's own cost."""
    if not db.is_postgresql:
        return None
    async with db.engine.connect() as conn:
        query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        pids = list((await conn.execute(query)).scalars())
    try:
        return {pid: process_cpu(pid) for pid in pids}
    except OSError:
        return None


def process_cpu(pid: int) -> float:
    """A process's CPU seconds (user + system) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    exec, so a child started by a big parent would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="measure a database built before")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per digest")
    parser.add_argument("--measure", choices=["organizer", "admins"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.database_url, args.measure))))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'digest-bench.db'}"
        url = load_settings(DATABASE_URL=url).database_url
        started = time.perf_counter()
        if not args.reuse:
            asyncio.run(build_database(url, args.answers, args.complaints))
        print(f"database built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        for who in ("organizer", "admins"):
            runs = [_measured(url, who) for _ in range(args.runs)]
            figures = {
                key: statistics.median(run[key] for run in runs)
                for key in runs[0]
                if runs[0][key] is not None
            }
            label = "one organizer's digest" if who == "organizer" else "the admins' digest"
            cpu = f"CPU {figures['cpu']:.2f} s" + (
                f" + server {figures['server_cpu']:.2f} s" if "server_cpu" in figures else ""
            )
            print(
                f"digest {engine} {label}, median of {len(runs)}: "
                f"{figures['seconds']:.2f} s (target 2 s; {cpu}; wall of each run: "
                + ", ".join(f"{run['seconds']:.2f}" for run in runs)
                + f"), peak {figures['peak_mb']:.0f} MB (target 300 MB), "
                f"{figures['text_chars']:.0f} characters, files {figures['files_kb']:.0f} KB"
            )


def _measured(url: str, who: str) -> dict[str, float]:
    """One digest built in a fresh process (its peak memory is the digest's own)."""
    out = subprocess.run(
        [sys.executable, __file__, "--database-url", url, "--measure", who],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


if __name__ == "__main__":
    main()
