"""Trial: nothing lost when the questionnaire changes under an open questionnaire, through the
chat on the emulator and the command line (the door an admin uses to edit a program)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.jobs.feedback import run_due
from bot.sandbox.harness import Harness
from bot.services import programs as program_service
from bot.services import questionnaires
from bot.storage.programs import Program
from bot.storage.questionnaires import PROGRAM_SUBJECT, Response, answers_of
from tests.conftest import ADMIN_ID
from tests.e2e.helpers import choose, onboard, say, tap, text_of
from tests.e2e.test_cli_programs import _cli
from tests.services.test_xlsform import workbook

UNIT = "LPG-PROV-BPSDM"
INVITATION = "Mohon isi kuesioner evaluasi"


@pytest.fixture(autouse=True)
def _own_template_ids() -> Iterator[None]:
    questionnaires.forget_parsed()
    yield
    questionnaires.forget_parsed()


@pytest.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    running = Harness(
        database_url,
        BOT_ADMIN_IDS=str(ADMIN_ID),
        FLOOD_MESSAGES_PER_MINUTE="10000",
        DIGEST_SCHEDULE="off",
        SENDING_HOURS="00:00-23:59",
    )
    await running.start()
    try:
        yield running
    finally:
        await running.close()


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


async def test_a_questionnaire_changed_while_a_participant_has_it_open_is_the_one_answered(
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

    # Nobody has answered anything: the edit is allowed and gives the program the own form.
    async with state.db.session() as session:
        program = (await session.exec(select(Program).where(Program.code == program_code))).one()
        assert program.id is not None
        spec = program_service.spec_of(program)
        spec.questionnaire = "bpsdm_lpg"
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
