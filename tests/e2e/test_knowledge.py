"""A knowledge test before and after a training (Level 2), as the people meet it.

The organizer gives the program the shipped example test from the command line; six
participants join and get the pre-test at once; when the training ends the post-test comes
with the evaluation. After the post-test each sees their own two scores and the right
answers. The organizers' program page and the digest show the class's mean scores and the
normalized gain, computed here from the answers chosen, and "–" until a block of five is
released.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from sqlmodel import select

from bot.buttons import FillQuestionnaire, OpenProgram
from bot.jobs.feedback import run_due
from bot.reports import digest_text
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.services import digest as digest_service
from bot.services import program_pages
from bot.services.access import Access
from bot.services.questionnaires import TEMPLATES_DIR
from bot.storage.places import place_by_code
from bot.storage.programs import Program
from bot.storage.questionnaires import POSTTEST_SUBJECT, PRETEST_SUBJECT, Response
from tests.e2e.helpers import onboard, say, tap, text_of
from tests.e2e.test_cli_programs import _cli
from tests.e2e.test_feedback import UNIT, WIB, Clock, _create_in_chat, _organizer, _state

TEST = json.loads((TEMPLATES_DIR / "uji_prima.json").read_text("utf-8"))
QUESTIONS = TEST["questions"]
RIGHT = {q["code"]: next(o["code"] for o in q["options"] if o.get("correct")) for q in QUESTIONS}
PRE_INVITATION = "uji pengetahuan singkat"
POST_INVITATION = "uji pengetahuan akhir"
SUBMIT = "✅ Kirim jawaban"
# How many of the five questions each participant gets right, before and after.
PRE_RIGHT = [1, 2, 2, 3, 0, 5]  # the sixth waits for a block of its own
POST_RIGHT = [4, 5, 3, 5, 4]


def _choices(right: int) -> dict[str, str]:
    """The first `right` questions answered right, the others with a wrong option."""
    found = {}
    for number, question in enumerate(QUESTIONS):
        wrong = next(o["code"] for o in question["options"] if not o.get("correct"))
        found[question["code"]] = RIGHT[question["code"]] if number < right else wrong
    return found


def _percent(choices: dict[str, str]) -> float:
    return 100 * sum(choices[code] == RIGHT[code] for code in RIGHT) / len(RIGHT)


def _label(code: str, option: str) -> str:
    question = next(q for q in QUESTIONS if q["code"] == code)
    return str(next(o["label"]["id"] for o in question["options"] if o["code"] == option))


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


async def _take(emu: BotApiEmulator, who: Persona, response_id: int, right: int) -> str:
    """Opens the test from its invitation, chooses, sends; returns what the bot said last."""
    await tap(emu, who, FillQuestionnaire(response_id).pack())
    for code, option in _choices(right).items():
        await tap(emu, who, _label(code, option))
    return text_of(await tap(emu, who, SUBMIT))


async def _response(harness: Harness, kind: str, who: Persona, program_id: int) -> int:
    async with _state(harness).db.session() as session:
        found = await session.exec(
            select(Response.id).where(
                Response.subject_kind == kind,
                Response.subject_id == program_id,
                Response.respondent_id == who.id,
            )
        )
        return found.one() or 0


async def _page(harness: Harness, program_id: int) -> program_pages.ProgramView:
    state = _state(harness)
    async with state.db.session() as session:
        return await program_pages.view(
            session,
            Access.command_line(),
            program_id,
            minimum=state.settings.feedback_min_responses,
            default_zone=state.settings.tz,
            now=state.clock(),
        )


async def test_a_pre_and_post_test_gives_the_expected_gain(
    harness: Harness, database_url: str
) -> None:
    emu = harness.emulator
    state = _state(harness)
    assert state.settings.feedback_min_responses == 5
    rina = await _organizer(emu)
    ended = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).astimezone(WIB)
    ended = ended.replace(hour=15, minute=0, second=0, microsecond=0)
    clock = Clock(ended - dt.timedelta(days=3))
    state.clock = clock
    code = await _create_in_chat(
        emu,
        rina,
        (ended - dt.timedelta(days=1)).strftime("%d-%m-%Y %H:%M"),
        ended.strftime("%d-%m-%Y %H:%M"),
    )
    status, out, err = await _cli(database_url, "program", "test", code, "uji_prima")
    assert status == 0, err
    assert "uji_prima" in out
    status, _, err = await _cli(database_url, "program", "test", code, "pelatihan")
    assert status == 2 and "not a knowledge test" in err
    async with state.db.session() as session:
        program = (await session.exec(select(Program).where(Program.code == code))).one()
    assert program.id is not None

    people = [emu.user(9100 + n, f"P{n}", "id") for n in range(len(PRE_RIGHT))]
    for person in people:
        await onboard(emu, person, "asn")
        await say(emu, person, f"/gabung {code}")
    await emu.wait_until(
        lambda: all(any(PRE_INVITATION in t for t in emu.texts(p)) for p in people)
    )

    # The pre-test: no right answers shown yet; four are withheld, the fifth releases them.
    for number, person in enumerate(people):
        said = await _take(
            emu,
            person,
            await _response(harness, PRETEST_SUBJECT, person, program.id),
            PRE_RIGHT[number],
        )
        assert "setelah uji akhir" in said and "✅ 1." not in said
        if number == 3:
            shown = await _page(harness, program.id)
            assert shown.knowledge is not None and shown.knowledge.pre is None
    pre = sum(_percent(_choices(r)) for r in PRE_RIGHT[:5]) / 5

    # The training ends: the post-test comes with the evaluation.
    clock.now = ended + dt.timedelta(minutes=1)
    await run_due(state)
    takers = people[: len(POST_RIGHT)]
    await emu.wait_until(
        lambda: all(any(POST_INVITATION in t for t in emu.texts(p)) for p in takers)
    )
    for number, person in enumerate(takers):
        right = POST_RIGHT[number]
        said = _plain(
            await _take(
                emu, person, await _response(harness, POSTTEST_SUBJECT, person, program.id), right
            )
        )
        assert f"Uji awal: {PRE_RIGHT[number]} dari 5 benar" in said
        assert f"Uji akhir: {right} dari 5 benar" in said
        assert len(re.findall(r"✅ \d\.", said)) == right
        assert len(re.findall(r"❌ \d\.", said)) == 5 - right
        for question in QUESTIONS:
            assert _label(question["code"], RIGHT[question["code"]]) in said
        if number == 3:
            shown = await _page(harness, program.id)
            assert shown.knowledge is not None
            assert shown.knowledge.pre == pre and shown.knowledge.post is None
            assert shown.knowledge.gain is None
    post = sum(_percent(_choices(r)) for r in POST_RIGHT) / 5
    gain = (post - pre) / (100 - pre)

    shown = await _page(harness, program.id)
    assert shown.knowledge is not None
    assert shown.knowledge.pre == pre and shown.knowledge.post == post
    assert shown.knowledge.gain is not None and abs(shown.knowledge.gain - gain) < 1e-9
    figures = f"uji awal {pre:.0f}% · uji akhir {post:.0f}% · gain ternormalisasi {gain:.2f}"
    figures = figures.replace(".", ",")
    await say(emu, rina, "/program")
    page = _plain(text_of(await tap(emu, rina, OpenProgram(program.id).pack())))
    assert figures in page

    async with state.db.session() as session:
        unit = await place_by_code(session, UNIT)
        built = await digest_service.build(
            session,
            scope=None,
            period=digest_service.Period.containing(dt.datetime.now(state.settings.tz).date()),
            tz=state.settings.tz,
            today=dt.date.today(),
            min_responses=state.settings.feedback_min_responses,
        )
    assert unit is not None and unit.id is not None
    text = _plain(digest_text.render(built, state.texts.for_language("id"), {unit.id: unit.name}))
    assert figures in text
