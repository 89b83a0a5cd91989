"""Times are shown with their zone named (WIB, WITA, WIT), a program's in its unit's zone."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from bot.jobs.feedback import run_due
from bot.sandbox.harness import Harness
from bot.storage.places import Place
from tests.e2e.helpers import onboard, say, text_of
from tests.e2e.test_feedback import INVITATION, WIB, Clock, _count, _create_in_chat, _organizer


async def test_a_program_in_a_wita_region_shows_its_times_in_wita(harness: Harness) -> None:
    emu = harness.emulator
    assert harness.runner is not None
    state = harness.runner.application.bot_data
    # The organizer's province lies in central Indonesia.
    async with state.db.session() as session:
        province = (await session.exec(select(Place).where(Place.code == "LPG"))).one()
        province.timezone = "Asia/Makassar"
        session.add(province)
        await session.commit()
    now = dt.datetime.now(dt.UTC)
    ended = (now - dt.timedelta(days=3)).astimezone(WIB).replace(hour=15, minute=0, second=0)
    clock = Clock(ended - dt.timedelta(days=3))
    state.clock = clock
    rina = await _organizer(emu)
    # Typed as the deployment's time (WIB): 14:00-15:00 WIB is 15:00-16:00 WITA.
    start = ended - dt.timedelta(hours=1)
    code = await _create_in_chat(
        emu, rina, start.strftime("%d-%m-%Y %H:%M"), ended.strftime("%d-%m-%Y %H:%M")
    )
    confirm = next(t for t in emu.texts(rina) if "Periksa program baru" in t)
    assert "15.00 WITA" in confirm and "16.00 WITA" in confirm and "WIB" not in confirm

    andi = emu.user(5601, "Andi", "id")
    await onboard(emu, andi, "asn")
    joined = text_of(await say(emu, andi, f"/gabung {code}"))
    assert "15.00 WITA" in joined and "16.00 WITA" in joined

    clock.now = ended + dt.timedelta(minutes=1)
    await run_due(state)
    await emu.wait_until(lambda: _count(emu, andi, INVITATION) == 1)
    invitation = next(t for t in emu.texts(andi) if INVITATION in t)
    assert "WITA" in invitation.split("sampai")[1]
