"""Suara against the framework's floor, side by side in one run on the same local Bot API.

The emulator runs here; each bot runs in a process of its own (Suara: `python -m bot run`; the
floor: bench/echo_bot.py), so the CPU counted is the bot's own, read from /proc. Reports one
line per figure with its target; never asserts.

    python bench/updates.py [--only cost|instructions|latency|startup|broadcast|scaleout|profile]
                            [--database-url URL] [--sql] [--users N]

- cost: a burst of updates with the rate limiter out of the way (TELEGRAM_RATE_LIMITER=off and
  the emulator's limits lifted): (a) a known user's free text, (b) a button in the complaint
  flow, (c) whole complaint flows. Updates per second and CPU seconds per 1,000 updates.
  Target: Suara's CPU per update within 2x the echo bot's for (a) and (b).
- instructions: (a) and (b) as in cost, each bot under valgrind's callgrind, which counts the
  instructions the process runs (all its threads, in user space): nearly the same count
  however loaded the machine is, where CPU seconds move by a third between runs.
  Instructions per update for both bots and their ratio, less what the bot runs idle (its
  jobs, its long polls) over the burst's duration; 200 updates a burst by default, in
  waves of 25 (callgrind runs a bot some 50 times slower).
- latency: first-reply p50 / p95 at a steady 20 updates a second from 300 known users, with
  Telegram's limits on. Target: p95 under 50 ms.
- startup: from process start to the first reply, and resident memory idle and after the
  cost runs. Targets: 1.5 s, 100 MB idle.
- broadcast: 5,000 outbox messages queued while 300 users chat at 10 updates a second, with
  the emulator enforcing Telegram's limits. Targets: outbox at least 25 messages a second,
  interactive p95 under 1 s, none lost or doubled, under 1% answered 429.
- profile: SQL statements and round trips per update kind (a command, a questionnaire answer,
  free text outside a flow and at the offer, a flow button), the bot in this process
  (bench/update_costs.py); `--sql` lists each kind's statements. Then the CPU of the gate's
  smallest committed transaction through the ORM, SQLAlchemy Core and sqlite3 alone.
- scaleout: webhook workers behind the round-robin balancer, 1 and then 2, each on a fresh
  database (PostgreSQL when --database-url names one): a burst of known users' free text with
  the limits lifted. Updates per second, CPU per 1,000 updates summed over the workers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert

from bot.buttons import FlowStep
from bot.config import load_settings
from bot.sandbox.balancer import Balancer, free_port
from bot.sandbox.databases import scratch_database
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.services.questionnaires import seed_templates
from bot.storage.db import Database
from bot.storage.models import OUTBOX_PENDING, OutboxMessage, User
from bot.storage.places import seed_places

ROOT = Path(__file__).resolve().parent.parent
REPLIES = {"sendMessage", "editMessageText", "answerCallbackQuery"}
TICK = os.sysconf("SC_CLK_TCK")
FIRST_USER = 500_000
WAVE = 25  # updates pushed at once to a bot under callgrind
IDLE_SECONDS = 30  # under callgrind: how long the bot's idle work is counted


class BotProcess:
    """A bot in a process of its own. Under callgrind (`instructions=` a folder), `meter()`
    counts the instructions the process ran (every thread, counted alike however busy the
    machine is) instead of its CPU seconds."""

    def __init__(
        self, command: list[str], env: dict[str, str], *, instructions: str | None = None
    ) -> None:
        self.counts = None
        if instructions is not None:
            self.counts = Path(instructions) / f"{Path(command[-2]).stem}.{time.monotonic_ns()}"
            command = [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={self.counts}",
                "--dump-instr=no",
                "--compress-strings=no",
                *command,
            ]
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL if "echo_bot" in command[-2] or self.counts else None,
        )
        self._dumps = 0
        self._instructions = 0

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime

    def meter(self) -> float:
        """CPU seconds so far; under callgrind, instructions since the previous call."""
        if self.counts is None:
            return self.cpu()
        subprocess.run(
            ["callgrind_control", "--dump", str(self.process.pid)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self._dumps += 1
        dump = Path(f"{self.counts}.{self._dumps}")
        summary = next(line for line in dump.read_text().splitlines() if line[:8] == "summary:")
        self._instructions += int(summary.split()[1])
        return self._instructions

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def suara(
    emu: BotApiEmulator, url: str, *, instructions: str | None = None, **extra: str
) -> BotProcess:
    env = {
        "TELEGRAM_BOT_TOKEN": emu.token,
        "TELEGRAM_API_BASE_URL": emu.base_url,
        "DATABASE_URL": url,
        "DIGEST_SCHEDULE": "off",
        "FLOOD_MESSAGES_PER_MINUTE": "10000",
        "LOG_LEVEL": "ERROR",
        **extra,
    }
    return BotProcess([sys.executable, "-m", "bot", "run"], env, instructions=instructions)


def echo(emu: BotApiEmulator, *, instructions: str | None = None) -> BotProcess:
    return BotProcess(
        [sys.executable, str(ROOT / "bench" / "echo_bot.py"), emu.token],
        {"TELEGRAM_API_BASE_URL": emu.base_url},
        instructions=instructions,
    )


async def seed(url: str, users: range, *, role: str = "citizen") -> None:
    """Known users: consented citizens (or civil servants), as after onboarding; the places
    and the questionnaire templates a new deployment starts with."""
    db = Database(load_settings(DATABASE_URL=url).database_url)
    await db.migrate()
    now = dt.datetime.now(dt.UTC)
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        rows = [
            {"id": u, "language": "id", "role": role, "consent_at": now, "first_seen": now,
             "reachable": True, "banned": False}
            for u in users
        ]  # fmt: skip
        await session.execute(insert(User), rows)
        await session.commit()
    await db.dispose()


def replies_since(emu: BotApiEmulator, index: int, methods: set[str] = REPLIES) -> int:
    return sum(1 for method, _ in emu.calls[index:] if method in methods)


async def wait_for(predicate: Callable[[], bool], timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not answer in time")
        await asyncio.sleep(0.005)


async def ready(emu: BotApiEmulator, bot: BotProcess) -> float:
    """Seconds from process start to its first getUpdates."""
    timeout = 60 if bot.counts is None else 900  # callgrind runs it some 50 times slower
    await wait_for(lambda: any(m == "getUpdates" for m, _ in emu.calls), timeout=timeout)
    return time.monotonic() - bot.started


def lift_limits(emu: BotApiEmulator) -> None:
    emu.global_per_second = 10**9
    emu.chat_burst = 10**9


async def burst(
    emu: BotApiEmulator, bot: BotProcess, pushes: list[Callable[[], int]], *, count: set[str]
) -> tuple[float, float]:
    """Pushes every update at once; (seconds, CPU seconds or, under callgrind,
    instructions) until each got its answer. Under callgrind the updates go in waves of
    WAVE, each after the last one's answers: a bot slowed some 50 times would otherwise keep
    requests waiting for a connection of its pool past the pool's timeout, and lose them."""
    cpu = bot.meter()
    started = time.monotonic()
    if bot.counts is None:
        index = len(emu.calls)
        for push in pushes:
            push()
        await wait_for(lambda: replies_since(emu, index, count) >= len(pushes))
        return time.monotonic() - started, bot.meter() - cpu
    answered = 0
    for first in range(0, len(pushes), WAVE):
        index = len(emu.calls)
        wave = pushes[first : first + WAVE]
        for push in wave:
            push()
        answered += await _answers(emu, index, count, len(wave))
    if answered < len(pushes):
        # A request the slowed bot gave up on (its timeouts are Telegram's, not valgrind's).
        report("unanswered under callgrind", f"{len(pushes) - answered} of {len(pushes)}")
    return time.monotonic() - started, bot.meter() - cpu


async def _answers(emu: BotApiEmulator, index: int, count: set[str], expected: int) -> int:
    """The answers since `index`, once all are in or none came for a minute."""
    seen, quiet_since = 0, time.monotonic()
    while seen < expected and time.monotonic() - quiet_since < 60:
        await asyncio.sleep(0.05)
        now = replies_since(emu, index, count)
        if now > seen:
            seen, quiet_since = now, time.monotonic()
    return seen


def report(name: str, value: str, target: str = "") -> None:
    print(f"{name}: {value}" + (f" (target {target})" if target else ""), flush=True)


async def cost(
    url_for: Callable[[str], str], users_n: int, *, instructions: str | None = None
) -> dict[str, float]:
    """(a) and (b) for the echo bot, then for Suara; (c) for Suara. With `instructions` (a
    folder for callgrind's counts) each bot runs under callgrind and the figures are
    instructions per update, not CPU seconds: (c) is left out."""
    figures: dict[str, float] = {}
    for kind in ("echo", "suara"):
        figures.update(await _cost_of(kind, url_for(kind), users_n, instructions))
    return figures


async def _cost_of(
    kind: str, url: str, users_n: int, instructions: str | None = None
) -> dict[str, float]:
    figures: dict[str, float] = {}
    emu = BotApiEmulator()
    await emu.start()
    lift_limits(emu)
    users = [emu.user(FIRST_USER + n, f"U{n}", "id") for n in range(users_n)]
    if kind == "suara":
        await seed(url, range(FIRST_USER, FIRST_USER + users_n))
        bot = suara(emu, url, instructions=instructions, TELEGRAM_RATE_LIMITER="off")
    else:
        bot = echo(emu, instructions=instructions)
    per = 1 / users_n if instructions else 1000 / users_n

    def texts(text: str, who: list[Persona]) -> list[Callable[[], int]]:
        return [lambda u=u: emu.send_text(u, text) for u in who]

    try:
        await ready(emu, bot)
        await asyncio.sleep(1)
        # Warm up: the first updates pay for imports and connections.
        await burst(emu, bot, texts("halo", users[: min(50, users_n)]), count={"sendMessage"})
        seconds, cpu = await burst(
            emu, bot, texts("Jalan di depan rumah saya rusak", users), count={"sendMessage"}
        )
        idle = 0.0
        if instructions:
            # What the bot runs while no update comes (its scheduled jobs, its long polls),
            # per second: a burst under callgrind lasts some 50 times longer than without,
            # and would count that many more runs of the jobs. Taken off below.
            before, since = bot.meter(), time.monotonic()
            await asyncio.sleep(IDLE_SECONDS)
            idle = (bot.meter() - before) / (time.monotonic() - since)
            figures[f"{kind}_idle_per_second"] = idle
        figures[f"{kind}_text_ups"] = users_n / seconds
        figures[f"{kind}_text_cpu"] = (cpu - idle * seconds) * per
        # (b) a button in the complaint flow: /lapor first, then the category.
        if kind == "suara":
            await burst(emu, bot, texts("/lapor", users), count={"sendMessage"})
        messages = {u.id: emu.last_message(u) for u in users}
        data = FlowStep("c", "cat", "0").pack()
        presses = [lambda u=u: emu.press_data(u, messages[u.id], data) for u in users]
        seconds, cpu = await burst(emu, bot, presses, count={"answerCallbackQuery"})
        figures[f"{kind}_button_ups"] = users_n / seconds
        figures[f"{kind}_button_cpu"] = (cpu - idle * seconds) * per
        if kind == "suara" and not instructions:
            figures["suara_rss_after"] = bot.rss_mb()
            flows = min(100, users_n)
            seconds, cpu = await complaint_flows(emu, bot, users[:flows])
            figures["complaints_per_second"] = flows / seconds
            figures["cpu_per_complaint"] = cpu / flows
    finally:
        bot.stop()
        await emu.close()
    return figures


async def complaint_flows(
    emu: BotApiEmulator, bot: BotProcess, users: list[Persona]
) -> tuple[float, float]:
    """Whole complaints, filed by these users at once, each step after the previous answer."""

    async def step(who: Persona, push: Callable[[], int]) -> None:
        await emu.wait_acknowledged(push(), timeout=120)

    async def one(who: Persona) -> None:
        await step(who, lambda: emu.send_text(who, "/batal"))
        await step(who, lambda: emu.send_text(who, "/lapor"))
        for _ in range(4):  # category, province, regency, unit: the first button each time
            message = emu.last_with_buttons(who)
            await step(who, lambda m=message: emu.press_data(who, m, m.buttons[0][1]))
        await step(who, lambda: emu.send_text(who, "Jalan berlubang di depan pasar sejak " * 3))
        for data in (("files", "done"), ("loc", "skip"), ("date", "0"), ("priv", "rahasia")):
            message = emu.last_with_buttons(who)
            await step(
                who, lambda m=message, d=data: emu.press_data(who, m, FlowStep("c", *d).pack())
            )
        message = emu.last_with_buttons(who)
        await step(who, lambda: emu.press_data(who, message, FlowStep("c", "sum", "send").pack()))

    cpu = bot.cpu()
    started = time.monotonic()
    await asyncio.gather(*(one(u) for u in users))
    return time.monotonic() - started, bot.cpu() - cpu


async def latency(url: str, *, rate: float = 20.0, seconds: float = 30.0) -> list[float]:
    """First-reply times (ms) at a steady rate from 300 known users, limits on."""
    emu = BotApiEmulator()
    await emu.start()
    users = [emu.user(FIRST_USER + n, f"U{n}", "id") for n in range(300)]
    await seed(url, range(FIRST_USER, FIRST_USER + 300))
    bot = suara(emu, url)
    try:
        await ready(emu, bot)
        await asyncio.sleep(1)
        pushed: list[tuple[int, float]] = []
        started = time.monotonic()
        total = int(rate * seconds)
        for n in range(total):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            who = users[n % len(users)]
            pushed.append((who.id, time.monotonic()))
            emu.send_text(who, "Lampu jalan mati di gang kami")

        def answered() -> list[float]:
            times = []
            for chat, at in pushed:
                after = [t for t in emu.send_times.get(chat, []) if t >= at]
                if after:
                    times.append((after[0] - at) * 1000)
            return times

        await wait_for(lambda: len(answered()) >= total, timeout=60)
        return answered()
    finally:
        bot.stop()
        await emu.close()


async def startup(url: str) -> dict[str, tuple[float, float, float]]:
    """{kind: (first reply s, CPU s until then, idle MB)} for Suara and the echo bot."""
    return {kind: await _startup_of(kind, url) for kind in ("suara", "echo")}


async def _startup_of(kind: str, url: str) -> tuple[float, float, float]:
    emu = BotApiEmulator()
    await emu.start()
    who = emu.user(FIRST_USER, "U", "id")
    if kind == "suara":
        await seed(url, range(FIRST_USER, FIRST_USER + 1))
    emu.send_text(who, "/bantuan" if kind == "suara" else "halo")
    bot = suara(emu, url) if kind == "suara" else echo(emu)
    try:
        await wait_for(lambda: bool(emu.send_times.get(who.id)), timeout=60)
        # CPU (user + sys) until the first reply: what a loaded machine inflates less than
        # the wall time (read within a poll of 5 ms after the reply).
        cpu = bot.cpu()
        first = emu.send_times[who.id][0] - bot.started
        await asyncio.sleep(3)
        return first, cpu, bot.rss_mb()
    finally:
        bot.stop()
        await emu.close()


async def broadcast(url: str, *, queued: int = 5000, chatters: int = 300) -> dict[str, float]:
    """The outbox drains a broadcast while people chat, under Telegram's limits."""
    emu = BotApiEmulator()
    await emu.start()
    users = [emu.user(FIRST_USER + n, f"U{n}", "id") for n in range(chatters)]
    receivers = range(FIRST_USER + 100_000, FIRST_USER + 100_000 + queued)
    for chat in receivers:
        emu.user(chat, "Peserta", "id")  # participants who joined: Telegram knows their chats
    await seed(url, range(FIRST_USER, FIRST_USER + chatters))
    db = Database(load_settings(DATABASE_URL=url).database_url)
    async with db.session() as session:
        now = dt.datetime.now(dt.UTC)
        rows = [
            {"chat_id": chat, "method": "sendMessage", "status": OUTBOX_PENDING, "attempts": 0,
             "payload": {"chat_id": chat, "text": "Kuesioner pelatihan Anda sudah tersedia."},
             "dedupe_key": f"bench:{chat}", "not_before": now, "created_at": now}
            for chat in receivers
        ]  # fmt: skip
        await session.execute(insert(OutboxMessage), rows)
        await session.commit()
    await db.dispose()
    bot = suara(emu, url)
    try:
        await ready(emu, bot)
        started = time.monotonic()
        pushed: list[tuple[int, float]] = []
        n = 0
        retry_at = None
        while True:
            delivered = sum(1 for c in receivers if emu.send_times.get(c))
            if delivered >= queued or time.monotonic() - started > 600:
                break
            if retry_at is None and delivered >= queued // 2:
                emu.force_429(1, retry_after=2)  # Telegram says wait, once, mid-way
                retry_at = time.monotonic()
            who = users[n % chatters]
            pushed.append((who.id, time.monotonic()))
            emu.send_text(who, "Kapan antrean KTP dibuka?")
            n += 1
            await asyncio.sleep(0.1)
        drained = time.monotonic() - started
        await asyncio.sleep(2)
        waits = []
        for chat, at in pushed:
            after = [t for t in emu.send_times.get(chat, []) if t >= at]
            if after:
                waits.append((after[0] - at) * 1000)
        counts = [len(emu.send_times.get(c, [])) for c in receivers]
        sends = sum(len(v) for v in emu.send_times.values())
        pause = 0
        if retry_at is not None:
            pause = sum(
                1
                for c in receivers
                for t in emu.send_times.get(c, [])
                if retry_at < t < retry_at + 1.5
            )
        # Which sends Telegram refused: those to the broadcast's receivers (the outbox) and
        # those to the people chatting (their replies); a refused call reaches `calls` but not
        # `send_times`.
        attempts: dict[int, int] = {}
        for method, params in emu.calls:
            if method == "sendMessage":
                chat = int(params.get("chat_id", 0))
                attempts[chat] = attempts.get(chat, 0) + 1
        refused = {c: n - len(emu.send_times.get(c, [])) for c, n in attempts.items()}
        broadcast_chats = set(receivers)
        return {
            "refused_broadcast": sum(n for c, n in refused.items() if c in broadcast_chats),
            "refused_replies": sum(n for c, n in refused.items() if c not in broadcast_chats),
            "most_in_a_second": emu.max_sends_in_a_second(),
            "outbox_per_second": queued / drained,
            "interactive_p95": statistics.quantiles(waits, n=20)[18] if len(waits) > 20 else 0,
            "interactive_answered": len(waits) / max(1, len(pushed)),
            "lost": sum(1 for c in counts if c == 0),
            "doubled": sum(1 for c in counts if c > 1),
            "rate_limited_share": emu.rate_limited / max(1, sends + emu.rate_limited),
            "sent_during_retry_after": pause,
        }
    finally:
        bot.stop()
        await emu.close()


async def scaleout(database_url: str | None, folder: str, users_n: int) -> dict[int, tuple]:
    """{workers: (updates/s, CPU s per 1,000 summed, share served by each)}"""
    figures: dict[int, tuple] = {}
    for workers in (1, 2):
        async with scratch_database(database_url, Path(folder), "suara_bench") as url:
            figures[workers] = await _scaleout_of(workers, url, users_n)
    return figures


async def _scaleout_of(workers: int, url: str, users_n: int) -> tuple:
    emu = BotApiEmulator()
    await emu.start()
    lift_limits(emu)
    users = [emu.user(FIRST_USER + n, f"U{n}", "id") for n in range(users_n)]
    await seed(url, range(FIRST_USER, FIRST_USER + users_n))
    ports = [free_port() for _ in range(workers)]
    balancer = Balancer([f"http://127.0.0.1:{port}" for port in ports])
    public = await balancer.start()
    bots = [
        suara(
            emu,
            url,
            TELEGRAM_RATE_LIMITER="off",
            WEBHOOK_URL=f"{public}/hook",
            WEBHOOK_SECRET="bench-secret-0123456789",
            WEBHOOK_LISTEN=f"127.0.0.1:{port}",
            WEBHOOK_MAX_CONNECTIONS="100",
        )
        for port in ports
    ]
    try:
        await wait_for(lambda: emu.webhook is not None, timeout=60)
        await asyncio.sleep(2)  # every worker listening
        texts = [lambda u=u: emu.send_text(u, "Jalan di depan rumah saya rusak") for u in users]
        await burst(emu, bots[0], texts[:100], count={"sendMessage"})
        balancer.served.clear()
        cpu = sum(bot.cpu() for bot in bots)
        seconds, _ = await burst(emu, bots[0], texts, count={"sendMessage"})
        cpu = sum(bot.cpu() for bot in bots) - cpu
        shares = sorted(balancer.served.values(), reverse=True)
        return users_n / seconds, cpu / users_n * 1000, shares
    finally:
        for bot in bots:
            bot.stop()
        await emu.close()
        await balancer.close()


def versions() -> str:
    """What both bots run on: this interpreter and the packages they share."""
    import platform
    import sqlite3
    from importlib.metadata import version

    packages = ("python-telegram-bot", "httpx", "sqlalchemy", "sqlmodel", "aiosqlite", "asyncpg")
    named = ", ".join(f"{name} {version(name)}" for name in packages)
    return f"Python {platform.python_version()}, {named}, SQLite {sqlite3.sqlite_version}"


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100)[p - 1] if len(values) > 1 else values[0]


async def main(only: str | None, database_url: str | None, users: int, *, sql: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        counter = iter(range(1000))

        def url_for(kind: str) -> str:
            if database_url:
                return database_url
            return f"sqlite:///{folder}/{kind}-{next(counter)}.db"

        engine = "PostgreSQL" if database_url else "SQLite"
        if only in (None, "cost"):
            report("same interpreter and packages for both bots", versions())
            f = await cost(url_for, users)
            for what, label in (("text", "(a) free text"), ("button", "(b) complaint button")):
                ratio = f[f"suara_{what}_cpu"] / f[f"echo_{what}_cpu"]
                report(
                    f"cost {label}, {engine}",
                    f"Suara {f[f'suara_{what}_ups']:.0f} updates/s and "
                    f"{f[f'suara_{what}_cpu']:.1f} CPU s per 1,000; echo "
                    f"{f[f'echo_{what}_ups']:.0f} updates/s and "
                    f"{f[f'echo_{what}_cpu']:.1f} CPU s per 1,000; ratio {ratio:.1f}x",
                    "within 2x",
                )
            report(
                f"cost (c) whole complaints, {engine}",
                f"{f['complaints_per_second']:.1f} complaints/s, "
                f"{f['cpu_per_complaint'] * 1000:.0f} ms CPU each (11 updates)",
            )
            report("memory after the cost runs", f"{f['suara_rss_after']:.0f} MB")
        if only == "instructions":
            report("same interpreter and packages for both bots", versions())
            f = await cost(url_for, users, instructions=folder)
            for what, label in (("text", "(a) free text"), ("button", "(b) complaint button")):
                ratio = f[f"suara_{what}_cpu"] / f[f"echo_{what}_cpu"]
                report(
                    f"instructions {label}, {engine}, {users} updates under callgrind",
                    f"Suara {f[f'suara_{what}_cpu'] / 1e6:.2f} M per update; echo "
                    f"{f[f'echo_{what}_cpu'] / 1e6:.2f} M; ratio {ratio:.2f}x",
                    "within 2x",
                )
            report(
                "idle work taken off (instructions per second while no update came)",
                f"Suara {f['suara_idle_per_second'] / 1e6:.1f} M/s, "
                f"echo {f['echo_idle_per_second'] / 1e6:.1f} M/s",
            )
        if only in (None, "latency"):
            times = await latency(url_for("latency"))
            report(
                f"latency at 20 updates/s from 300 users, {engine}",
                f"p50 {percentile(times, 50):.0f} ms, p95 {percentile(times, 95):.0f} ms",
                "p95 under 50 ms",
            )
        if only in (None, "startup"):
            up = await startup(url_for("startup"))
            (first, cpu, idle), (echo_first, echo_cpu, echo_idle) = up["suara"], up["echo"]
            report(
                "start-up to first reply",
                f"Suara {first:.2f} s ({cpu:.2f} CPU s), echo {echo_first:.2f} s "
                f"({echo_cpu:.2f} CPU s)",
                "1.5 s",
            )
            report(
                "resident memory idle",
                f"Suara {idle:.0f} MB, echo {echo_idle:.0f} MB",
                "under 100 MB",
            )
        if only == "profile":
            import update_costs  # it imports this module's seeding

            update_costs.report(await update_costs.profile(url_for("profile")), sql=sql)
            floor = await update_costs.transaction_floor(url_for("floor"))
            report(
                f"one committed transaction (read the arrival, record it, commit), {engine}",
                ", ".join(f"{how} {ms:.2f} ms CPU" for how, ms in floor.items()),
            )
        if only == "scaleout":
            scale = await scaleout(database_url, folder, users)
            for workers, (ups, cpu, shares) in scale.items():
                report(
                    f"webhook workers behind a balancer, {workers}, {engine}",
                    f"{ups:.0f} updates/s, {cpu:.1f} CPU s per 1,000 (all workers), "
                    f"served {shares}",
                )
        if only in (None, "broadcast"):
            b = await broadcast(url_for("broadcast"))
            report(
                f"broadcast of 5,000 beside 300 chatting users, {engine}",
                f"outbox {b['outbox_per_second']:.1f} messages/s, interactive p95 "
                f"{b['interactive_p95']:.0f} ms ({b['interactive_answered']:.0%} answered), "
                f"lost {b['lost']:.0f}, doubled {b['doubled']:.0f}, "
                f"429 share {b['rate_limited_share']:.2%}, "
                "outbox sends in the 1.5 s after a retry_after of 2 s: "
                f"{b['sent_during_retry_after']:.0f}; refused {b['refused_broadcast']:.0f} "
                f"broadcast messages and {b['refused_replies']:.0f} replies; at most "
                f"{b['most_in_a_second']:.0f} messages in one second",
                "outbox >= 25/s, p95 < 1 s, none lost or doubled, 429 < 1%, pause on 429",
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--only",
        choices=["cost", "instructions", "latency", "startup", "broadcast", "scaleout", "profile"],
    )
    parser.add_argument("--sql", action="store_true", help="profile: list each kind's statements")
    parser.add_argument("--database-url")
    parser.add_argument(
        "--users", type=int, help="users in the cost bursts (1,000; 200 under callgrind)"
    )
    args = parser.parse_args()
    if args.users is None:
        args.users = 200 if args.only == "instructions" else 1000
    asyncio.run(main(args.only, args.database_url, args.users, sql=args.sql))
