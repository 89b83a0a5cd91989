"""The outbox within Telegram's limits: once each, a second apart per chat, paused by a 429,
nothing twice across a restart, and never in front of someone who is chatting."""

from __future__ import annotations

import asyncio
import itertools
import time

from sqlmodel import select

from bot.jobs.outbox import SendBudget
from bot.sandbox.harness import Harness
from bot.storage import outbox
from bot.storage.models import OUTBOX_SENT, OutboxMessage
from tests.e2e.helpers import onboard, say


def _state(harness: Harness):  # type: ignore[no-untyped-def]
    assert harness.runner is not None
    return harness.runner.application.bot_data


async def _enqueue(harness: Harness, chats: list[int], per_chat: int) -> None:
    state = _state(harness)
    async with state.db.session() as session:
        for number in range(per_chat):
            for chat in chats:
                await outbox.enqueue(
                    session,
                    chat_id=chat,
                    method="sendMessage",
                    payload={"chat_id": chat, "text": f"Pesan {number} untuk {chat}"},
                )
        await session.commit()


def _texts(harness: Harness, chat: int) -> list[str]:
    return [t for t in harness.emulator.texts(chat) if t.startswith("Pesan ")]


async def test_each_message_once_in_order_a_second_apart_per_chat(harness: Harness) -> None:
    emu = harness.emulator
    chats = [4000 + n for n in range(20)]
    for chat in chats:
        emu.user(chat, f"U{chat}", "id")
    await _enqueue(harness, chats, per_chat=3)
    await _state(harness).outbox.drain()
    for chat in chats:
        assert _texts(harness, chat) == [f"Pesan {n} untuk {chat}" for n in range(3)]
        times = emu.send_times[chat]
        assert all(b - a >= 0.95 for a, b in itertools.pairwise(times))
    assert emu.rate_limited == 0
    assert emu.max_sends_in_a_second() <= 25


async def test_a_429_pauses_every_send_then_all_arrive(harness: Harness) -> None:
    emu = harness.emulator
    chats = [4100 + n for n in range(6)]
    for chat in chats:
        emu.user(chat, f"U{chat}", "id")
    await _enqueue(harness, chats, per_chat=2)
    emu.force_429(1, retry_after=2)
    started = time.monotonic()
    await _state(harness).outbox.drain()
    await emu.wait_until(lambda: all(len(_texts(harness, c)) == 2 for c in chats))
    assert emu.rate_limited == 1
    # Nothing went out during the pause Telegram asked for.
    first = min(t for c in chats for t in emu.send_times.get(c, []))
    assert first - started >= 1.9
    for chat in chats:
        assert _texts(harness, chat) == [f"Pesan {n} untuk {chat}" for n in range(2)]


async def test_a_crash_in_the_middle_sends_nothing_twice(harness: Harness) -> None:
    emu = harness.emulator
    chat = 4200
    emu.user(chat, "Sari", "id")
    await _enqueue(harness, [chat], per_chat=6)  # six messages: five seconds at one a second
    _state(harness).outbox.nudge()
    await emu.wait_until(lambda: len(_texts(harness, chat)) >= 2)
    await harness.restart(crash=True)
    _state(harness).outbox.nudge()
    await emu.wait_until(lambda: len(_texts(harness, chat)) >= 6, timeout=20)
    await asyncio.sleep(1.5)
    assert _texts(harness, chat) == [f"Pesan {n} untuk {chat}" for n in range(6)]
    async with _state(harness).db.session() as session:
        statuses = (await session.exec(select(OutboxMessage.status))).all()
    assert statuses and set(statuses) == {OUTBOX_SENT}


async def test_a_chatting_user_is_answered_during_a_broadcast(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(4300, "Siti", "id")
    await onboard(emu, siti)
    chats = [4400 + n for n in range(100)]
    for chat in chats:
        emu.user(chat, f"U{chat}", "id")
    await _enqueue(harness, chats, per_chat=1)
    _state(harness).outbox.nudge()
    await emu.wait_until(lambda: sum(len(_texts(harness, c)) for c in chats) >= 10)
    answer = await say(emu, siti, "/bantuan")
    delivered = sum(len(_texts(harness, c)) for c in chats)
    # Answered in the middle of it, not after: the broadcast was still going on.
    assert answer and delivered < len(chats)
    await emu.wait_until(lambda: all(len(_texts(harness, c)) == 1 for c in chats), timeout=20)
    assert emu.rate_limited == 0


async def test_a_reply_answered_429_waits_alone_and_pauses_the_outbox(harness: Harness) -> None:
    emu = harness.emulator
    siti, budi = emu.user(4500, "Siti", "id"), emu.user(4501, "Budi", "id")
    for person in (siti, budi):
        await onboard(emu, person)
    before, budi_before = len(emu.texts(siti)), len(emu.texts(budi))
    emu.force_429(1, retry_after=2, chat_id=siti.id)
    asked = time.monotonic()
    # Both write at once: her answer meets the 429, his does not.
    siti_update = emu.send_text(siti, "/bantuan")
    emu.send_text(budi, "/bantuan")
    await emu.wait_until(lambda: emu.rate_limited == 1)
    await _enqueue(harness, [4502], per_chat=1)
    emu.user(4502, "Sari", "id")
    _state(harness).outbox.nudge()
    # Budi is answered at once: the 429 for her reply does not hold his.
    await emu.wait_until(lambda: bool(emu.texts(budi, budi_before)), timeout=10)
    # Siti's answer comes once, after Telegram's retry_after; the outbox waited as long.
    await emu.wait_acknowledged(siti_update)
    await emu.wait_until(lambda: bool(emu.texts(siti, before)), timeout=10)
    assert emu.send_times[siti.id][-1] - asked >= 1.9
    assert emu.send_times[budi.id][-1] < emu.send_times[siti.id][-1]  # he did not wait for her
    await asyncio.sleep(0.5)
    assert len([t for t in emu.texts(siti, before) if "/lapor" in t]) == 1
    await emu.wait_until(lambda: bool(_texts(harness, 4502)), timeout=10)
    assert emu.send_times[4502][0] - asked >= 1.9


async def test_a_429_storm_holds_no_one_and_drops_no_reply(harness: Harness) -> None:
    """Replies refused again and again wait in the outbox, in order for their chat, while
    polling goes on; a reply refused more often than any retry count still arrives once."""
    emu = harness.emulator
    budi = emu.user(4600, "Budi", "id")
    people = [emu.user(4601 + n, f"U{n}", "id") for n in range(5)]
    for person in [budi, *people]:
        await onboard(emu, person)
    # What each command answers, from someone Telegram does not refuse.
    expected = [*(await say(emu, budi, "/bantuan")), *(await say(emu, budi, "/privasi"))]
    expected_texts = [e.text for e in expected if e.kind == "send"]
    assert len(expected_texts) >= 2
    before = {p.id: len(emu.texts(p)) for p in people}
    emu.force_429(12, retry_after=1, chat_id=people[0].id)  # more than any retry count
    for person in people[1:]:
        emu.force_429(2, retry_after=1, chat_id=person.id)
    asked = time.monotonic()
    updates = [emu.send_text(p, text) for p in people for text in ("/bantuan", "/privasi")]
    # Every update is committed and acknowledged while Telegram still refuses the replies.
    # (The storm's first chat is refused twelve times, a second apart: while it still waits,
    # nothing that happened was held behind it. Ordered by events, not by a stopwatch.)
    await emu.wait_until(lambda: emu.acknowledged >= max(updates), timeout=10)
    assert emu.owes(people[0].id)
    budi_before = len(emu.texts(budi))
    emu.send_text(budi, "/bantuan")
    await emu.wait_until(lambda: len(emu.texts(budi)) > budi_before, timeout=10)
    assert emu.owes(people[0].id)  # answered while the storm's chat still waits
    await emu.wait_until(
        lambda: all(len(emu.texts(p, before[p.id])) >= len(expected_texts) for p in people),
        timeout=40,
    )
    await asyncio.sleep(1.5)
    for person in people:
        # Each reply once, the first command's before the second's.
        assert emu.texts(person, before[person.id]) == expected_texts
    assert emu.send_times[people[0].id][-1] - asked >= 10
    # Sent, the handed-over replies are not kept: what a user was answered stays out of the
    # database (a complaint's PIN is such a reply).
    async with _state(harness).db.session() as session:
        keys = (await session.exec(select(OutboxMessage.dedupe_key))).all()
    assert not [k for k in keys if k and k.startswith(outbox.REPLY_KEY)]


async def test_a_pile_of_replies_goes_out_under_telegrams_limit(harness: Harness) -> None:
    """Sixty people write in the same moment: their replies are spread under Telegram's 30
    messages a second instead of sent in one burst it would refuse, each answered once."""
    emu = harness.emulator
    first = emu.user(4700, "Rina", "id")
    expected = [e.text for e in await say(emu, first, "/bantuan") if e.kind == "send"]
    assert expected
    people = [emu.user(4701 + n, f"U{n}", "id") for n in range(60)]
    updates = [emu.send_text(p, "/bantuan") for p in people]
    await emu.wait_acknowledged(max(updates), timeout=30)
    await emu.wait_until(lambda: all(len(emu.texts(p)) >= len(expected) for p in people))
    assert emu.rate_limited == 0
    assert emu.max_sends_in_a_second() <= 30
    for person in people:
        assert emu.texts(person) == expected


async def test_a_reply_handed_over_after_a_429_goes_before_a_broadcast(
    harness: Harness,
) -> None:
    """Someone chatting waits for a reply Telegram refused once; a broadcast of 200 queued
    before it does not go first."""
    emu = harness.emulator
    siti = emu.user(4800, "Siti", "id")
    await onboard(emu, siti)
    chats = [4900 + n for n in range(200)]
    for chat in chats:
        emu.user(chat, f"U{chat}", "id")
    await _enqueue(harness, chats, per_chat=1)
    before = len(emu.texts(siti))
    emu.force_429(1, retry_after=1, chat_id=siti.id)
    _state(harness).outbox.nudge()
    await emu.wait_until(lambda: sum(len(_texts(harness, c)) for c in chats) >= 5)
    await emu.wait_acknowledged(emu.send_text(siti, "/bantuan"), timeout=30)
    answered = emu.send_times[siti.id][-1]
    delivered = sum(1 for c in chats for t in emu.send_times.get(c, []) if t < answered)
    # The refused reply went out with the next batch the outbox claimed, not after the 200.
    assert emu.texts(siti, before) and delivered < 100
    await emu.wait_until(lambda: all(len(_texts(harness, c)) == 1 for c in chats), timeout=60)
    assert emu.rate_limited == 1  # the forced one only


async def test_a_reply_waiting_for_room_goes_before_the_outbox() -> None:
    """With the last second full, a reply that waits for room is let through before the
    outbox's next message, though the outbox asked first."""
    budget = SendBudget(per_second=25, ceiling=28)
    for _ in range(28):
        async with budget.send("sendMessage", reply=True):
            pass
    order: list[str] = []

    async def send(who: str, *, reply: bool) -> None:
        async with budget.send("sendMessage", reply=reply):
            order.append(who)

    outbox_message = asyncio.create_task(send("outbox", reply=False))
    await asyncio.sleep(0)  # the outbox asks first
    await send("reply", reply=True)
    await outbox_message
    assert order == ["reply", "outbox"]


async def test_the_budget_counts_calls_in_flight_and_stops_each_kind_at_its_rate() -> None:
    """The outbox stops at its own rate, replies at the ceiling; a call still in flight
    counts (Telegram may count it late), and what is not a message is never held."""
    budget = SendBudget(per_second=3, ceiling=5)
    answered = asyncio.Event()
    started: list[str] = []

    async def send(who: str, method: str = "sendMessage", *, reply: bool = False) -> None:
        async with budget.send(method, reply=reply):
            started.append(who)
            await answered.wait()

    calls = [asyncio.create_task(send(f"outbox {n}")) for n in range(4)]
    calls += [asyncio.create_task(send(f"reply {n}", reply=True)) for n in range(3)]
    calls.append(asyncio.create_task(send("edit", "editMessageText")))
    await asyncio.sleep(0.05)
    # In flight, unanswered: three outbox messages (its rate), two replies (the ceiling of
    # five), and the edit; the fourth outbox message and the third reply wait.
    assert sorted(started) == ["edit", "outbox 0", "outbox 1", "outbox 2", "reply 0", "reply 1"]
    answered.set()
    await asyncio.gather(*calls)
    assert started[-2:] == ["reply 2", "outbox 3"]  # a second after: the reply first
