"""Trial: nothing lost when the questionnaire changes under an open questionnaire, through the
chat on the emulator and the command line (the door an admin uses to edit a program)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.jobs.feedback import run_due
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.services import programs as program_service
from bot.services import questionnaires
from bot.services.programs import ProgramError
from bot.storage.programs import Program
from bot.storage.questionnaires import PROGRAM_SUBJECT, Response, answers_of
from tests.conftest import harness_with
from tests.e2e.helpers import choose, onboard, say, tap, text_of
from tests.e2e.test_cli_programs import _cli
from tests.services.test_xlsform import workbook

UNIT = "LPG-PROV-BPSDM"
INVITATION = "Mohon isi kuesioner evaluasi"


@pytest.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    """The bot sending at any hour: the test sends "now"."""
    async with harness_with(database_url, SENDING_HOURS="00:00-23:59") as running:
        yield running


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


async def test_a_questionnaire_out_with_participants_cannot_be_changed_and_is_the_one_answered(
    harness: Harness, tmp_path: Path
) -> None:
    """README: "until the first answer an edit may name another questionnaire". A participant
    opened the evaluation (no answer yet); the program is then given the office's own form.
    The participant goes on answering the old one, and their answers belong to a questionnaire
    the program no longer has: the digest reads the program's items, so they count nowhere."""
    emu = harness.emulator
    assert harness.runner is not None
    state = harness.runner.application.bot_data
    form = tmp_path / "bpsdm.xlsx"
    form.write_bytes(workbook())
    code, _, err = await _cli(harness.database_url, "questionnaire", "import", str(form))
    assert code == 0, err

    start = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(days=1)
    local = start.astimezone(state.settings.tz).replace(tzinfo=None)
    moment = "%Y-%m-%d %H:%M"
    code, out, err = await _cli(
        harness.database_url, "program", "create", "--title", "Pelatihan Teknis",
        "--unit", UNIT, "--start", local.strftime(moment),
        "--end", (local + dt.timedelta(days=1)).strftime(moment), "--mode", "klasikal",
        "--instructors", "Dr. Sari Dewi", "--json",
    )  # fmt: skip
    assert code == 0, err
    program_code = str(re.search(r'"code": "(\w+)"', out).group(1))  # type: ignore[union-attr]
    person = emu.user(6200, "Peserta", "id")
    await onboard(emu, person, "asn")
    assert "Anda terdaftar" in text_of(await say(emu, person, f"/gabung {program_code}"))
    code, _, err = await _cli(harness.database_url, "program", "send", program_code)
    assert code == 0, err
    await run_due(state)
    await emu.wait_until(lambda: INVITATION in " ".join(emu.texts(person)))
    opened = _plain(text_of(await tap(emu, person, "📝 Isi kuesioner")))
    assert opened  # the first question of the evaluation is on the screen, unanswered

    # Nobody has answered anything, but the questionnaire is out (open on the screen): the
    # fix refuses giving the program another form, saying why; the title may still change.
    async with state.db.session() as session:
        program = (await session.exec(select(Program).where(Program.code == program_code))).one()
        assert program.id is not None
        spec = program_service.spec_of(program)
        spec.questionnaire = "bpsdm_lpg"
        with pytest.raises(ProgramError) as refused:
            await program_service.edit_program(
                session, None, program.id, spec=spec, now=dt.datetime.now(dt.UTC)
            )
        assert refused.value.key == "programs.edit_sent"
        await session.rollback()
        program = (await session.exec(select(Program).where(Program.code == program_code))).one()
        assert program.id is not None
        spec = program_service.spec_of(program)
        spec.title = "Pelatihan Teknis Pelayanan"
        await program_service.edit_program(
            session, None, program.id, spec=spec, now=dt.datetime.now(dt.UTC)
        )
        await session.commit()
        program_id, template_id = program.id, program.template_id

    await choose(emu, person, 4)  # the participant answers the question on the screen
    async with state.db.session() as session:
        response = (
            await session.exec(
                select(Response).where(
                    Response.subject_kind == PROGRAM_SUBJECT, Response.subject_id == program_id
                )
            )
        ).one()
        answered = {a.question for a in await answers_of(session, response.id or 0)}
        program_template = await questionnaires.template_of(session, template_id)
    asked = {q.code for q in program_template.questions}
    assert answered, "the tap stored no answer"
    assert response.template_id == template_id and answered <= asked, (
        f"answered {sorted(answered)} of template {response.template_id}; "
        f"the program's questionnaire (template {template_id}) asks {sorted(asked)}"
    )


SUBMIT = "✅ Kirim jawaban"
NAVIGATION = {"◀️ Sebelumnya", "Lewati", "Berikutnya ▶️"}


async def _answer(emu: BotApiEmulator, who: Persona, by_name: dict[str, int]) -> None:
    """Fills the evaluation: an instructor's items by the name in the question, the rest 4;
    skips the optional texts, writes the action plan, sends from the review."""
    for _ in range(40):
        message = emu.last_with_buttons(who)
        labels = [label for label, _ in message.buttons]
        if SUBMIT in labels:
            await tap(emu, who, SUBMIT)
            return
        options = [label for label in labels if label not in NAVIGATION]
        if any(label[:1].isdigit() for label in options):
            named = [score for name, score in by_name.items() if name in message.text]
            await choose(emu, who, named[0] if named else 4)
        elif "Lewati" in labels:
            await tap(emu, who, "Lewati")
        else:
            await say(emu, who, "Menerapkan SOP pelayanan.")
    raise AssertionError("the questionnaire did not end")


async def test_instructors_cannot_be_changed_once_sent_so_ratings_keep_their_names(
    harness: Harness,
) -> None:
    """The questionnaire went out asking about Dr. Sari Dewi and Budi Santoso; before anyone
    answered, the organizer corrected the instructors to Budi Santoso alone. Before the fix
    this was allowed (nobody had answered): the open questionnaires still asked about both,
    the answers are stored by the instructor's index, and the page named index 0 by the
    program's list, so Sari's ratings (all 1) were shown as Budi's. Now the change is
    refused (the questionnaire is out) and Budi's own ratings (all 5) are his."""
    emu = harness.emulator
    assert harness.runner is not None
    state = harness.runner.application.bot_data
    start = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(days=1)
    local = start.astimezone(state.settings.tz).replace(tzinfo=None)
    moment = "%Y-%m-%d %H:%M"
    code, out, err = await _cli(
        harness.database_url, "program", "create", "--title", "Pelatihan Teknis",
        "--unit", UNIT, "--start", local.strftime(moment),
        "--end", (local + dt.timedelta(days=1)).strftime(moment), "--mode", "klasikal",
        "--instructors", "Dr. Sari Dewi; Budi Santoso", "--json",
    )  # fmt: skip
    assert code == 0, err
    program_code = str(re.search(r'"code": "(\w+)"', out).group(1))  # type: ignore[union-attr]
    people = [emu.user(6300 + n, f"Peserta {n}", "id") for n in range(5)]
    for person in people:
        await onboard(emu, person, "asn")
        await say(emu, person, f"/gabung {program_code}")
    code, _, err = await _cli(harness.database_url, "program", "send", program_code)
    assert code == 0, err
    await run_due(state)
    await emu.wait_until(lambda: all(INVITATION in " ".join(emu.texts(p)) for p in people))

    async with state.db.session() as session:
        program = (await session.exec(select(Program).where(Program.code == program_code))).one()
        assert program.id is not None
        spec = program_service.spec_of(program)
        spec.instructors = ["Budi Santoso"]
        # The fix: the questionnaire is out asking about both, so the list stays as it is.
        with pytest.raises(ProgramError) as refused:
            await program_service.edit_program(
                session, None, program.id, spec=spec, now=dt.datetime.now(dt.UTC)
            )
        assert refused.value.key == "programs.edit_sent"
        await session.rollback()

    for person in people:
        await tap(emu, person, "📝 Isi kuesioner")
        await _answer(emu, person, {"Sari": 1, "Budi": 5})
    async with state.db.session() as session:
        program = (await session.exec(select(Program).where(Program.code == program_code))).one()
        page = await program_service.figures(session, program)
    budi = {
        f.question: f.mean
        for f in page.items
        if 0 <= f.instructor < len(program.instructors)
        and program.instructors[f.instructor] == "Budi Santoso"
    }
    assert page.respondents == 5 and budi, page
    assert set(budi.values()) == {5.0}, f"Budi Santoso's items on the page: {budi}"
