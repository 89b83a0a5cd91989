"""Lists that offer units or programs: a unit is always named with its region (every
kabupaten has a Dinas Kesehatan), and an organizer reaches today's program after importing a
year of them."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from bot.buttons import ProgramPage
from bot.sandbox.harness import Harness
from bot.services import programs as program_service
from bot.services.programs import ProgramSpec
from bot.storage.places import place_by_code
from bot.storage.programs import Program, TrainingProposal
from tests.e2e.helpers import onboard, say, tap, text_of
from tests.e2e.test_feedback import _organizer, _state


async def test_a_proposal_goes_to_the_unit_of_the_region_chosen(harness: Harness) -> None:
    emu = harness.emulator
    asn = emu.user(7301, "Wayan", "id")
    await onboard(emu, asn, "asn")
    await say(emu, asn, "/usul")
    await say(emu, asn, "Pelatihan pengelolaan arsip digital")
    wanted = "Dinas Kesehatan · Kab. Lampung Selatan"
    for _ in range(10):  # page on until the unit is offered
        labels = [label for label, _ in emu.last_with_buttons(asn).buttons]
        if wanted in labels:
            break
        await tap(emu, asn, next(label for label in labels if "▶" in label))
    assert wanted in labels
    # Every unit offered names its region; none is a bare "Dinas Kesehatan".
    assert "Dinas Kesehatan" not in labels
    saved = text_of(await tap(emu, asn, wanted))
    assert "Kabupaten Lampung Selatan › Dinas Kesehatan" in saved
    state = _state(harness)
    async with state.db.session() as session:
        unit = await place_by_code(session, "LSL-DINKES")
        proposal = (await session.exec(select(TrainingProposal))).one()
    assert unit is not None and proposal.unit_id == unit.id


async def test_todays_program_is_on_the_first_page_after_importing_a_year(
    harness: Harness,
) -> None:
    emu = harness.emulator
    state = _state(harness)
    rina = await _organizer(emu)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    async with state.db.session() as session:
        unit = await place_by_code(session, "LPG-PROV-BPSDM")
        assert unit is not None and unit.id is not None

        async def create(title: str, starts: dt.datetime) -> Program:
            return await program_service.create_program(
                session,
                spec=ProgramSpec(
                    title=title, unit_id=unit.id or 0, starts_at=starts,
                    ends_at=starts + dt.timedelta(days=2),
                ),
                caller=None,
                now=min(now, starts - dt.timedelta(days=1)),
            )  # fmt: skip

        for week in range(1, 41):  # a year's plan, all later than today
            await create(f"Pelatihan Terjadwal {week:02d}", now + dt.timedelta(weeks=week))
        for week in range(1, 6):
            await create(f"Pelatihan Lalu {week}", now - dt.timedelta(weeks=week))
        today = await create("Pelatihan Hari Ini", now - dt.timedelta(hours=3))
        await session.commit()
    first = text_of(await say(emu, rina, "/program"))
    assert "Pelatihan Hari Ini" in first.splitlines()[2]  # title, page line, then today's
    assert "Halaman 1 dari 5 · 46 program" in first
    assert "Pelatihan Terjadwal 01" in first and "Pelatihan Lalu" not in first
    # Paging on reaches the past, latest first.
    for page in range(1, 5):
        await tap(emu, rina, ProgramPage(page).pack())
    last = emu.last_with_buttons(rina).text
    assert "Halaman 5 dari 5" in last and "Pelatihan Lalu 5" in last.splitlines()[-1]
    pages = [data for _, data in emu.last_with_buttons(rina).buttons if data.startswith("pp:")]
    assert pages == [ProgramPage(3).pack()]  # only "previous" on the last page
    # A code opens the program's page; another unit's code, or a made-up one, says so.
    page = text_of(await say(emu, rina, f"/program {today.code.lower()}"))
    assert "Pelatihan Hari Ini" in page and today.code in page
    assert "tidak ditemukan" in text_of(await say(emu, rina, "/program ZZZZZZ"))
