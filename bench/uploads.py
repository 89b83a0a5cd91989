"""Files uploaded with a response in the web workspace, at the limit: an organizer responds
with five documents of 10 MB each through the real app on the emulator. Reports the time of
the POST (parse, check, store in the action's transaction), the time until the citizen's chat
has all five files (the outbox after the commit), and the process's peak resident memory
before and after. Reports; never asserts.

    python bench/uploads.py [--database-url URL] [--files 5] [--megabytes 10]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

import httpx
from sqlmodel import select

from bot.sandbox.harness import Harness
from bot.storage.complaints import Complaint
from bot.storage.places import Place, assign_organizer
from bot.storage.users import get_or_create_user
from bot.web.app import COOKIE
from bot.web.auth import WebSession

ORGANIZER = 7001
CITIZEN = 301


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _world(harness: Harness) -> int:
    """An organizer of the first unit and a citizen's complaint there."""
    assert harness.runner is not None
    db = harness.runner.application.bot_data.db
    async with db.session() as session:
        unit = (await session.exec(select(Place).where(Place.level == "unit"))).first()
        assert unit is not None and unit.id is not None
        for user_id in (ORGANIZER, CITIZEN):
            user = await get_or_create_user(session, user_id)
            user.consent_at = dt.datetime.now(dt.UTC)
            session.add(user)
        await assign_organizer(session, user_id=ORGANIZER, unit_id=unit.id, added_by=0)
        complaint = Complaint(
            reporter_id=CITIZEN,
            category="Administrasi Kependudukan",
            unit_id=unit.id,
            description="KTP elektronik belum jadi setelah tiga bulan menunggu di kantor.",
            verify_due=dt.date.today() + dt.timedelta(days=5),
            ticket="ADU-2026-000001",
        )
        session.add(complaint)
        await session.commit()
        assert complaint.id is not None
        return complaint.id


async def main(database_url: str, files: int, megabytes: int) -> None:
    async with Harness(database_url, WEB_LISTEN="127.0.0.1:0", DIGEST_SCHEDULE="off") as harness:
        emu = harness.emulator
        emu.user(CITIZEN, "Siti", "id")
        complaint_id = await _world(harness)
        assert harness.runner is not None and harness.runner.web is not None
        door = harness.runner.web.door
        session = WebSession.new(ORGANIZER, now=time.time(), seconds=3600)
        cookies = {COOKIE: door.signer.dump(session)}
        body = b"%PDF-1.4\n" + b"0" * (megabytes * 1024 * 1024 - 16)
        uploads = [("files", (f"lampiran-{n}.pdf", body, "application/pdf")) for n in range(files)]
        before = _peak_mb()
        url = f"http://127.0.0.1:{harness.runner.web.port}"
        async with httpx.AsyncClient(base_url=url, cookies=cookies, timeout=120) as http:
            started = time.perf_counter()
            answer = await http.post(
                f"/aduan/{complaint_id}/tindakan",
                data={"csrf": session.csrf, "action": "reply", "note": "Terlampir."},
                files=uploads,
            )
            posted = time.perf_counter() - started
        assert answer.status_code == 303, answer.text[:500]

        def delivered() -> bool:
            return sum(m.kind == "document" for m in emu.messages(CITIZEN)) == files

        await emu.wait_until(delivered, timeout=300)
        sent = time.perf_counter() - started
        print(f"{files} files x {megabytes} MB ({database_url.split(':')[0]})")
        print(f"  POST answered (parsed, checked, stored, committed): {posted:.2f} s")
        print(f"  all files in the citizen's chat:                    {sent:.2f} s")
        print(f"  peak RSS before / after:  {before:.0f} MB / {_peak_mb():.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--megabytes", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'uploads.db'}"
        asyncio.run(main(url, args.files, args.megabytes))
