"""An organizer's own questionnaire, from a Kobo workbook to the digest: imported on the command
line (a workbook with what a chat cannot ask is refused by row and stores nothing), given to a
classroom and an e-learning program, answered in the chat on the emulator, counted apart where
a participant did not attend an instructor's session, exported and imported back unchanged."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.jobs.feedback import run_due
from bot.reports import digest_text
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.services import digest as digest_service
from bot.services import programs as program_service
from bot.storage.places import place_by_code
from bot.storage.programs import Program
from bot.storage.questionnaires import QuestionnaireTemplate
from tests.conftest import harness_with
from tests.e2e.helpers import choose, onboard, say, tap, text_of
from tests.e2e.test_cli_programs import _cli
from tests.services.test_xlsform import SURVEY, _row, workbook

UNIT = "LPG-PROV-BPSDM"
INVITATION = "Mohon isi kuesioner evaluasi"
SUBMIT = "✅ Kirim jawaban"
NOT_ATTENDED = "Tidak mengikuti sesi ini"


@pytest.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    """The bot sending at any hour: the test sends "now"."""
    async with harness_with(database_url, SENDING_HOURS="00:00-23:59") as running:
        yield running


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


async def _templates(harness: Harness, code: str) -> int:
    async with harness.runner.application.bot_data.db.session() as session:  # type: ignore[union-attr]
        query = select(func.count()).where(QuestionnaireTemplate.code == code)
        return int((await session.exec(query)).one())


async def _create(harness: Harness, mode: str, start: dt.datetime) -> str:
    moment = "%Y-%m-%d %H:%M"
    code, out, err = await _cli(
        harness.database_url, "program", "create", "--title", f"Pelatihan Teknis {mode}",
        "--unit", UNIT, "--start", start.strftime(moment),
        "--end", (start + dt.timedelta(days=1)).strftime(moment), "--mode", mode,
        "--instructors", "Dr. Sari Dewi; Budi Santoso", "--questionnaire", "bpsdm_lpg", "--json",
    )  # fmt: skip
    assert code == 0, err
    return str(re.search(r'"code": "(\w+)"', out).group(1))  # type: ignore[union-attr]


async def _answer_classroom(
    emu: BotApiEmulator, who: Persona, *, absent: bool, again: bool
) -> str:
    """Answers the classroom program's questionnaire; returns every question it was asked."""
    asked = [text_of(await tap(emu, who, "📝 Isi kuesioner"))]
    for step in (
        lambda: choose(emu, who, 3),  # the material
        lambda: choose(emu, who, 4),  # the classroom
        lambda: tap(emu, who, "Berikutnya ▶️"),  # the note before the instructors
        lambda: choose(emu, who, 4),  # Dr. Sari Dewi
        (lambda: tap(emu, who, NOT_ATTENDED)) if absent else (lambda: choose(emu, who, 2)),
        lambda: tap(emu, who, "Ya" if again else "Tidak"),
    ):
        asked.append(text_of(await step()))
    if not again:
        asked.append(text_of(await say(emu, who, "Jadwalnya bentrok dengan rapat dinas")))
    asked.append(text_of(await say(emu, who, "24")))  # the lesson hours, typed
    await tap(emu, who, "Lewati")  # no suggestion: the review
    assert any(SUBMIT == label for label, _ in emu.last_with_buttons(who).buttons)
    await tap(emu, who, SUBMIT)
    return "\n".join(_plain(text) for text in asked)


async def test_an_imported_form_runs_in_the_chat_and_the_digest_counts_absence_apart(
    harness: Harness, tmp_path: Path
) -> None:
    emu = harness.emulator
    assert harness.runner is not None
    state = harness.runner.application.bot_data

    # A form with a location and a photo question is refused by row; nothing is stored.
    refused = tmp_path / "dengan_gps.xlsx"
    refused.write_bytes(
        workbook([*SURVEY, _row("geopoint", "lokasi", "Lokasi", "Where"), _row("image", "f")])
    )
    code, _, err = await _cli(harness.database_url, "questionnaire", "import", str(refused))
    assert code == 2
    assert "row 15: a location question (geopoint)" in err and "row 16:" in err
    assert "2 problems; nothing was stored" in err
    code, _, err = await _cli(
        harness.database_url, "questionnaire", "import", str(refused), "--language", "id"
    )
    assert code == 2 and "baris 15: pertanyaan lokasi" in err
    assert await _templates(harness, "bpsdm_lpg") == 0

    # The form itself is stored as version 1.
    form = tmp_path / "bpsdm.xlsx"
    form.write_bytes(workbook())
    code, out, err = await _cli(harness.database_url, "questionnaire", "import", str(form))
    assert code == 0, err
    assert "bpsdm_lpg version 1 is stored (9 questions)" in out

    # A classroom course and an e-learning course on it; the training ends in two days.
    start = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(days=1)
    local = start.astimezone(state.settings.tz).replace(tzinfo=None)
    classroom = await _create(harness, "klasikal", local)
    online = await _create(harness, "elearning", local)
    people = [emu.user(6100 + n, f"Peserta {n}", "id") for n in range(6)]
    for person in people[:5]:
        await onboard(emu, person, "asn")
        assert "Anda terdaftar" in text_of(await say(emu, person, f"/gabung {classroom}"))
    await onboard(emu, people[5], "asn")
    await say(emu, people[5], f"/gabung {online}")
    # The organizer sends the questionnaires now: the bot's due work sends them.
    for program_code in (classroom, online):
        code, _, err = await _cli(harness.database_url, "program", "send", program_code)
        assert code == 0, err
    await run_due(state)
    await emu.wait_until(lambda: all(INVITATION in " ".join(emu.texts(p)) for p in people))

    # In the classroom the room is asked about, never the platform; each instructor in turn,
    # Budi's session with "did not attend"; "why not?" follows a "no" only.
    seen = []
    for number, person in enumerate(people[:5]):
        seen.append(await _answer_classroom(emu, person, absent=number < 2, again=number != 4))
    assert all("Kenyamanan ruang kelas" in text for text in seen)
    assert not any("platform e-learning" in text for text in seen)
    assert all("Berikut penilaian pengajar" in text for text in seen)
    assert all("Penguasaan materi oleh Budi Santoso" in text for text in seen)
    assert "Mengapa tidak?" in seen[4] and not any("Mengapa tidak?" in t for t in seen[:4])
    assert "Pikirkan “pekerjaan” Anda" in seen[0]  # the hint, in the form's words

    # The e-learning course asks about the platform instead.
    await tap(emu, people[5], "📝 Isi kuesioner")
    second = _plain(text_of(await choose(emu, people[5], 3)))
    assert "Kemudahan platform e-learning" in second and "ruang kelas" not in second

    # The digest: the form's items in its order.
    async with state.db.session() as session:
        unit = await place_by_code(session, UNIT)
        program = (await session.exec(select(Program).where(Program.code == classroom))).one()
        built = await digest_service.build(
            session,
            scope=None,
            period=digest_service.Period.containing(dt.datetime.now(state.settings.tz).date()),
            tz=state.settings.tz,
            today=dt.date.today(),
            min_responses=state.settings.feedback_min_responses,
        )
        page = await program_service.figures(session, program)
    (training,) = [p for p in built.programs if p.program_id == program.id]
    assert not training.withheld and training.respondents == 5
    # Budi's session: three ratings and two "did not attend". Three answers are a group
    # below the minimum, so his item is withheld everywhere (a figure of three would be
    # read off against the class list), and the two absences are never a low score.
    assert [(i.code, i.instructor) for i in training.items] == [
        ("materi", -1), ("ruang", -1), ("pengajar", 0),
    ]  # fmt: skip
    sari = training.items[2]
    assert (sari.n, sari.not_attended, sari.low) == (5, 0, 1) and len(sari.counts) == 4
    assert unit is not None
    text = _plain(
        digest_text.render(built, state.texts.for_language("id"), {unit.id or 0: unit.name})
    )
    assert "Budi" not in text and "tidak mengikuti" not in text
    # The program page agrees: Sari rated by all five; Budi's breakdown withheld.
    shown = {(f.question, f.instructor): f for f in page.items}
    assert shown[("pengajar", 0)].answers == 5 and ("pengajar", 1) not in shown
    # Absences counted apart once they fill a block: tests/services/test_releases.py.

    # Export and import back: the same questions, so no new version.
    exported = tmp_path / "kembali.xlsx"
    code, out, err = await _cli(
        harness.database_url, "questionnaire", "export", "bpsdm_lpg", "--output", str(exported)
    )
    assert code == 0 and exported.exists(), err
    code, out, err = await _cli(harness.database_url, "questionnaire", "import", str(exported))
    assert code == 0 and "already has the same questions; nothing was stored" in out, err
    assert await _templates(harness, "bpsdm_lpg") == 1
