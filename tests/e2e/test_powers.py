"""Powers end when they are taken away: an invitation is worth only what its maker can still
do, and a program being created goes only into a unit its maker still handles."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import col, select

from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.storage.audit import AuditEntry
from bot.storage.staff import Admin
from tests.conftest import ADMIN_ID
from tests.e2e.helpers import onboard, say, tap, text_of
from tests.e2e.test_complaints import _db, _wait_text


def _link(made: str) -> str:
    return next(w for w in made.split() if w.startswith("https://t.me/")).split("?start=")[1]


async def _appointed_admin(emu: BotApiEmulator, admin: Persona, user_id: int) -> Persona:
    """The founding admin invites `user_id`, who opens the link and becomes an admin."""
    await say(emu, admin, "/undang")
    payload = _link(text_of(await tap(emu, admin, "Admin (semua unit)")))
    lina = emu.user(user_id, "Lina", "id")
    await onboard(emu, lina)
    assert "admin Suara" in text_of(await say(emu, lina, f"/start {payload}"))
    return lina


async def _admin_invitation(emu: BotApiEmulator, who: Persona) -> str:
    await say(emu, who, "/undang")
    return _link(text_of(await tap(emu, who, "Admin (semua unit)")))


async def test_a_dismissed_admins_invitations_stop_working(harness: Harness) -> None:
    emu = harness.emulator
    admin = emu.user(ADMIN_ID, "Admin", "id")
    await onboard(emu, admin, "asn")
    lina = await _appointed_admin(emu, admin, 4601)
    # Before she is dismissed, Lina makes a link for her own second account.
    kept = await _admin_invitation(emu, lina)

    await say(emu, admin, "/staf")
    await tap(emu, admin, "Lina")
    await tap(emu, admin, "Berhentikan sebagai admin")
    await _wait_text(emu, lina, "tidak lagi menjadi admin")

    second = emu.user(4602, "Lina Dua", "id")
    await onboard(emu, second)
    assert "tidak berlaku" in text_of(await say(emu, second, f"/start {kept}"))
    assert "tidak tersedia" in text_of(await say(emu, second, "/unit"))
    async with _db(harness).session() as session:
        actions = [e.action for e in (await session.exec(select(AuditEntry))).all()]
    assert actions[-2:] == ["dismiss_admin", "invite_revoked"]


async def test_an_invitation_is_checked_against_its_makers_power_when_opened(
    harness: Harness,
) -> None:
    emu = harness.emulator
    admin = emu.user(ADMIN_ID, "Admin", "id")
    await onboard(emu, admin, "asn")
    lina = await _appointed_admin(emu, admin, 4611)
    kept = await _admin_invitation(emu, lina)
    # Her power ends by another way than /staf (the table edited, or BOT_ADMIN_IDS changed):
    # nothing revoked the link, so opening it must check her power.
    async with _db(harness).session() as session:
        await session.exec(delete(Admin).where(col(Admin.user_id) == lina.id))
        await session.commit()

    second = emu.user(4612, "Lina Dua", "id")
    await onboard(emu, second)
    assert "tidak berlaku" in text_of(await say(emu, second, f"/start {kept}"))
    assert "tidak tersedia" in text_of(await say(emu, second, "/unit"))
