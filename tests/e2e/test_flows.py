"""Flows side by side, answers changed and taps repeated, edited messages: as people meet them."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from bot.buttons import ChangeAnswer, SubmitAnswers
from bot.jobs.feedback import run_due
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.storage.questionnaires import Answer, Response
from tests.e2e.helpers import choose, onboard, say, step, tap, text_of
from tests.e2e.test_feedback import (
    INVITATION,
    NAVIGATION,
    SUBMIT,
    WIB,
    Clock,
    _count,
    _create_in_chat,
    _organizer,
)

FILL = "📝 Isi kuesioner"
ASK_DESCRIPTION = "Tuliskan uraian pengaduan Anda"
DESCRIPTION = (
    "Antrean di loket Disdukcapil sangat panjang dan petugas baru datang pukul sepuluh, "
    "padahal jadwal pelayanan dimulai pukul delapan pagi."
)


async def _invited(
    harness: Harness, person_id: int = 5301, *, ended_at: int = 15, dispatch: bool = True
) -> tuple[Persona, Clock]:
    """A participant of a training that has just ended (at `ended_at` o'clock WIB), with the
    questionnaire's invitation (queued only, without `dispatch`)."""
    emu = harness.emulator
    assert harness.runner is not None
    state = harness.runner.application.bot_data
    now = dt.datetime.now(dt.UTC)
    ended = (now - dt.timedelta(days=3)).astimezone(WIB)
    ended = ended.replace(hour=ended_at, minute=0, second=0, microsecond=0)
    clock = Clock(ended - dt.timedelta(days=3))
    state.clock = clock
    rina = await _organizer(emu)
    code = await _create_in_chat(
        emu,
        rina,
        (ended - dt.timedelta(days=1)).strftime("%d-%m-%Y %H:%M"),
        ended.strftime("%d-%m-%Y %H:%M"),
    )
    person = emu.user(person_id, "Andi", "id")
    await onboard(emu, person, "asn")
    await say(emu, person, f"/gabung {code}")
    clock.now = ended + dt.timedelta(minutes=1)
    if dispatch:
        await run_due(state)
        await emu.wait_until(lambda: _count(emu, person, INVITATION) == 1)
    return person, clock


async def _complaint_until_description(emu: BotApiEmulator, who: Persona) -> None:
    await say(emu, who, "/lapor")
    await tap(emu, who, "Administrasi Kependudukan")
    await say(emu, who, "lampung selatan")
    await tap(emu, who, "Dinas Kependudukan dan Pencatatan Sipil · Kab. Lampung Selatan")


async def test_a_questionnaire_opened_mid_complaint_keeps_the_draft_and_both_continue(
    harness: Harness,
) -> None:
    emu = harness.emulator
    andi, _clock = await _invited(harness)
    await _complaint_until_description(emu, andi)

    # The invitation's button opens the questionnaire; the complaint draft waits, and he is
    # told how to get back to it.
    opened = text_of(await tap(emu, andi, FILL))
    assert "Draf laporan Anda tetap tersimpan" in opened and "/lapor" in opened
    assert "Pertanyaan 1 dari" in opened
    await choose(emu, andi, 4)

    # /lapor continues the draft where it stopped; the questionnaire now waits, with a button.
    back = await say(emu, andi, "/lapor")
    assert ASK_DESCRIPTION in text_of(back)
    assert "Kuesioner Anda yang belum selesai tetap tersimpan" in text_of(back)
    assert "Langkah 1" not in text_of(back)
    filed = text_of(await say(emu, andi, DESCRIPTION))
    assert "Langkah 4" in filed

    # The questionnaire's button continues it at its second question, its first answer kept.
    again = text_of(await tap(emu, andi, "📝 Lanjutkan kuesioner"))
    assert "Draf laporan Anda tetap tersimpan" in again
    assert "Pertanyaan 2 dari" in again


async def _answers(harness: Harness, who: Persona) -> dict[str, int | None]:
    assert harness.runner is not None
    async with harness.runner.application.bot_data.db.session() as session:
        rows = (
            await session.exec(
                select(Answer)
                .join(Response, col(Response.id) == col(Answer.response_id))
                .where(Response.respondent_id == who.id)
            )
        ).all()
    return {row.question: row.score for row in rows}


async def test_changing_one_answer_from_the_review_returns_to_the_review(
    harness: Harness,
) -> None:
    emu = harness.emulator
    andi, _clock = await _invited(harness, 5302)
    await tap(emu, andi, FILL)
    scores = iter([4] * 100)
    # Everything answered, up to the review (not sent).
    for _ in range(40):
        labels = [label for label, _ in emu.last_with_buttons(andi).buttons]
        if SUBMIT in labels:
            break
        options = [label for label in labels if label not in NAVIGATION]
        if any(label[:1].isdigit() for label in options):
            await choose(emu, andi, next(scores))
        elif "Lewati" in labels:
            await tap(emu, andi, "Lewati")
        else:
            await say(emu, andi, "Menerapkan SOP pelayanan.")
    assert "Periksa jawaban" in emu.last_with_buttons(andi).text or SUBMIT in str(
        emu.last_with_buttons(andi).buttons
    )
    before = await _answers(harness, andi)

    # The third answer is changed: then the review again, not question four.
    review = emu.last_with_buttons(andi)
    shown = text_of(await tap(emu, andi, ChangeAnswer(review_ref(review), 2).pack()))
    assert "Pertanyaan 3 dari" in shown
    after_change = await choose(emu, andi, 2)
    assert SUBMIT in str(emu.last_with_buttons(andi).buttons)
    assert "Pertanyaan 4 dari" not in text_of(after_change)
    after = await _answers(harness, andi)
    changed = [code for code in after if after[code] != before[code]]
    assert len(changed) == 1 and after[changed[0]] == 2


def review_ref(message: object) -> int:
    """The response id the review's buttons carry."""
    for _label, data in message.buttons:  # type: ignore[attr-defined]
        parsed = SubmitAnswers.parse(data)
        if parsed is not None:
            return parsed.response
    raise LookupError("no questionnaire button")


async def test_a_tap_repeated_after_a_lost_edit_answers_that_question_and_moves_on(
    harness: Harness,
) -> None:
    emu = harness.emulator
    andi, clock = await _invited(harness, 5303)
    opened = await tap(emu, andi, FILL)
    assert "Pertanyaan 1 dari" in text_of(opened)
    # The answer is committed, then the bot stops before the question is replaced.
    emu.lose("editMessageText")
    await choose(emu, andi, 4)
    await harness.restart(crash=True)
    assert harness.runner is not None
    harness.runner.application.bot_data.clock = clock
    on_screen = emu.last_with_buttons(andi)
    assert "Pertanyaan 1 dari" in on_screen.text
    five_on_question_one = dict(on_screen.buttons)[_rating(on_screen, 5)]

    # The same tap again: question one keeps its answer, question two is shown, unanswered.
    await choose(emu, andi, 4)
    assert "Pertanyaan 2 dari" in emu.last_with_buttons(andi).text
    assert list((await _answers(harness, andi)).values()) == [4]
    # Another rating on question one's old buttons changes question one only.
    await emu.wait_acknowledged(emu.press_data(andi, on_screen, five_on_question_one))
    assert list((await _answers(harness, andi)).values()) == [5]
    assert "Pertanyaan 2 dari" in emu.last_with_buttons(andi).text
    # And question two is answered as usual.
    await choose(emu, andi, 3)
    assert sorted((await _answers(harness, andi)).values()) == [3, 5]
    assert "Pertanyaan 3 dari" in emu.last_with_buttons(andi).text


def _rating(message: object, number: int) -> str:
    for label, _data in message.buttons:  # type: ignore[attr-defined]
        if label.split(" ", 1)[0] == str(number):
            return label
    raise LookupError(number)


async def _edit(emu: BotApiEmulator, who: Persona, text: str, sent: int | None = None) -> str:
    """The user edits the message sent in update `sent` (or one the bot never saw)."""
    before = len(emu.events(who))
    message_id = emu.message_id_of(sent) if sent is not None else None
    await emu.wait_acknowledged(emu.edit_text(who, text, message_id=message_id))
    return text_of(emu.events(who)[before:])


async def test_an_edited_description_corrects_the_draft_and_the_place_stays(
    harness: Harness,
) -> None:
    emu = harness.emulator
    siti = emu.user(5501, "Siti", "id")
    await onboard(emu, siti)
    await _complaint_until_description(emu, siti)
    sent = emu.send_text(siti, DESCRIPTION)
    await emu.wait_acknowledged(sent)
    corrected = DESCRIPTION.replace("pukul sepuluh", "pukul sebelas")
    answer = await _edit(emu, siti, corrected, sent)
    assert "Perubahan Anda sudah kami catat" in answer and "Langkah" not in answer
    # Still at the files; the summary shows the corrected description.
    await tap(emu, siti, step("c", "files", "done"))
    await tap(emu, siti, step("c", "loc", "skip"))
    await tap(emu, siti, step("c", "date", "skip"))
    summary = text_of(await tap(emu, siti, step("c", "priv", "rahasia")))
    assert "pukul sebelas" in summary and "pukul sepuluh" not in summary


async def test_an_edit_while_a_step_waits_for_text_is_its_answer(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(5502, "Siti", "id")
    await onboard(emu, siti)
    await _complaint_until_description(emu, siti)
    answer = await _edit(emu, siti, DESCRIPTION)
    assert "Langkah 4" in answer


async def test_an_edit_nothing_waits_for_is_answered_and_never_runs_a_command(
    harness: Harness,
) -> None:
    emu = harness.emulator
    siti = emu.user(5503, "Siti", "id")
    budi = emu.user(5504, "Budi", "en")
    await onboard(emu, siti)
    await onboard(emu, budi)
    # Outside any flow: one short word, in the user's language.
    assert "pesan yang diubah tidak kami baca" in await _edit(emu, siti, "Halo, ada yang baru?")
    assert "edited messages are not read" in await _edit(emu, budi, "Hello?")
    # In the middle of a complaint, at a question answered by buttons: the same word, and an
    # edit into /lapor starts nothing over.
    await say(emu, siti, "/lapor")
    await tap(emu, siti, "Administrasi Kependudukan")
    answer = await _edit(emu, siti, "/lapor")
    assert "pesan yang diubah tidak kami baca" in answer and "Langkah 1" not in answer
    await say(emu, siti, "lampung selatan")
    asked = await tap(emu, siti, "Dinas Kependudukan dan Pencatatan Sipil · Kab. Lampung Selatan")
    assert ASK_DESCRIPTION in text_of(asked)


async def test_an_edited_written_answer_replaces_that_answer_only(harness: Harness) -> None:
    emu = harness.emulator
    andi, _clock = await _invited(harness, 5505)
    await tap(emu, andi, FILL)
    plan = "Menerapkan SOP pelayanan satu pintu."
    sent = None
    for _ in range(40):
        labels = [label for label, _ in emu.last_with_buttons(andi).buttons]
        options = [label for label in labels if label not in NAVIGATION]
        if sent is not None or SUBMIT in labels:
            break
        if any(label[:1].isdigit() for label in options):
            await choose(emu, andi, 4)
        elif "Lewati" in labels:
            await tap(emu, andi, "Lewati")
        else:
            sent = emu.send_text(andi, plan)
            await emu.wait_acknowledged(sent)
    assert sent is not None
    on_screen = emu.last_with_buttons(andi).text
    answer = await _edit(emu, andi, "Membuat papan informasi layanan.", sent)
    assert "Perubahan Anda sudah kami catat" in answer
    assert emu.last_with_buttons(andi).text == on_screen
    assert harness.runner is not None
    async with harness.runner.application.bot_data.db.session() as session:
        texts = (
            await session.exec(
                select(Answer.text)
                .join(Response, col(Response.id) == col(Answer.response_id))
                .where(Response.respondent_id == andi.id, col(Answer.text).is_not(None))
            )
        ).all()
    assert texts == ["Membuat papan informasi layanan."]


async def test_adding_information_mid_draft_keeps_the_draft(harness: Harness) -> None:
    from tests.e2e.test_complaints import _file

    emu = harness.emulator
    siti = emu.user(5506, "Siti", "id")
    await onboard(emu, siti)
    ticket = await _file(emu, siti, photos=0)
    await _complaint_until_description(emu, siti)
    await say(emu, siti, f"/status {ticket}")
    asked = text_of(await tap(emu, siti, "➕ Tambah informasi"))
    assert "Draf laporan Anda tetap tersimpan" in asked
    await say(emu, siti, "Nomor antrean saya 57, datang pukul 08.15.")
    assert ASK_DESCRIPTION in text_of(await say(emu, siti, "/lapor"))


async def test_an_old_layout_questionnaire_button_shows_the_current_question_again(
    harness: Harness,
) -> None:
    """Buttons of the layout before typed questionnaire buttons ("f:q:q:0.4:<ref>") are still
    in people's chats: a press is no error and records nothing; it shows where they are."""
    emu = harness.emulator
    andi, _clock = await _invited(harness, 5304)
    await tap(emu, andi, FILL)
    await choose(emu, andi, 4)
    question = emu.last_with_buttons(andi)
    assert "Pertanyaan 2 dari" in question.text
    ref = review_ref_of_question(question)
    alerts = len(emu.callback_answers)
    for old in ("0.5", "1.back", "1.skip", "e0", "send"):
        step_name = "review" if old in ("e0", "send") else "q"
        await emu.wait_acknowledged(emu.press_data(andi, question, step("q", step_name, old, ref)))
        assert "Pertanyaan 2 dari" in emu.last_with_buttons(andi).text, old
    answered = [a.text for a in emu.callback_answers[alerts:] if a.text]
    assert answered == []  # no "no longer valid"
    assert list((await _answers(harness, andi)).values()) == [4]


def review_ref_of_question(message: object) -> int:
    """The response id a question's buttons carry."""
    from bot.buttons import QuestionAnswer

    for _label, data in message.buttons:  # type: ignore[attr-defined]
        parsed = QuestionAnswer.parse(data)
        if parsed is not None:
            return parsed.response
    raise LookupError("no answer button")
