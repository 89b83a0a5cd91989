"""The chat's change of a program once its questionnaire went out: the review offers no
change of the questionnaire, the instructors or the languages and says why; the title still
changes, and the open questionnaire keeps asking what it was sent with."""

from __future__ import annotations

from bot.buttons import ProgramAction
from bot.jobs.feedback import run_due
from bot.sandbox.harness import Harness
from tests.e2e.helpers import onboard, say, step, tap, text_of
from tests.e2e.test_feedback import INVITATION, _count
from tests.e2e.test_programs import _open_page, _program, _set_up, _state

SENT = "sudah dikirim/dibuka peserta"


async def test_the_review_of_a_sent_program_keeps_its_questionnaire_and_instructors(
    harness: Harness,
) -> None:
    emu, rina, _clock, program = await _set_up(harness)
    assert program.id is not None
    await _open_page(emu, rina, program)
    review = text_of(await tap(emu, rina, ProgramAction(program.id, "edit").pack()))
    data = [data for _, data in emu.last_with_buttons(rina).buttons]
    assert SENT not in review and step("p", "confirm", "edit_instructors") in data
    await tap(emu, rina, step("p", "confirm", "cancel"))

    person = emu.user(5700, "Peserta", "id")
    await onboard(emu, person, "asn")
    await say(emu, person, f"/gabung {program.code}")
    await _open_page(emu, rina, program)
    await tap(emu, rina, ProgramAction(program.id, "send").pack())
    await tap(emu, rina, "Ya")
    await run_due(_state(harness))
    await emu.wait_until(lambda: _count(emu, person, INVITATION) == 1)

    await _open_page(emu, rina, program)
    review = text_of(await tap(emu, rina, ProgramAction(program.id, "edit").pack()))
    data = [data for _, data in emu.last_with_buttons(rina).buttons]
    assert SENT in review
    for name in ("instructors", "form", "langs"):
        assert step("p", "confirm", f"edit_{name}") not in data
    assert step("p", "confirm", "edit_title") in data
    # A button kept from before the sending is refused, saying why.
    message = emu.last_with_buttons(rina)
    await emu.wait_acknowledged(
        emu.press_data(rina, message, step("p", "confirm", "edit_instructors"))
    )
    said = [emu.callback_answers[-1].text or "", *emu.texts(rina)[-2:]]
    assert any(SENT in text for text in said), said
    await tap(emu, rina, step("p", "confirm", "edit_title"))
    await say(emu, rina, "Pelatihan Pelayanan Publik Terpadu")
    saved = text_of(await tap(emu, rina, step("p", "confirm", "save")))
    assert "tersimpan" in saved
    changed = await _program(harness, program.code)
    assert changed is not None and changed.title == "Pelatihan Pelayanan Publik Terpadu"
    assert changed.instructors == program.instructors
    assert changed.template_id == program.template_id
