"""Who may do what: every organizer and admin command and every button kind, pressed or typed by
every kind of person, is allowed or refused as the access model says; and staff are invited,
listed and removed without typing ids.

The table is checked against the running application: a command or button registered without
a row here fails the test, so a new power cannot slip in untested.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import select
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.buttons import (
    AddInformation,
    AssignPage,
    AssignUnit,
    BlockReporter,
    ButtonData,
    ChangeAnswer,
    ComplaintAction,
    ComplaintFiles,
    FillQuestionnaire,
    FlowStep,
    Handled,
    Inbox,
    InviteFor,
    InvitePage,
    Language,
    LiftBlock,
    MakePin,
    Menu,
    MyComplaint,
    NewProgram,
    OpenComplaint,
    OpenProgram,
    ProgramAction,
    ProgramPage,
    QuestionAnswer,
    QuestionBack,
    QuestionNext,
    QuestionSkip,
    Rate,
    ReviewPage,
    StaffList,
    StaffMember,
    StaffRemove,
    SubmitAnswers,
)
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.services import programs as program_service
from bot.services import questionnaires as engine
from bot.services.access import Access
from bot.services.programs import PROGRAM_SUBJECT, ProgramSpec
from bot.storage.audit import AuditEntry
from bot.storage.complaints import Complaint, UnitBlock
from bot.storage.places import place_by_code
from bot.storage.staff import Invite
from tests.conftest import ADMIN_ID
from tests.e2e.helpers import onboard, say, step, tap, text_of
from tests.e2e.test_complaints import _db, _file, _setup_organizers, _wait_text

CITIZEN, ASN, ORG_A, ORG_B, REMOVED, ADMIN, BANNED = (
    "citizen",
    "asn",
    "organizer of this unit",
    "organizer of another unit",
    "removed organizer",
    "admin",
    "banned",
)
EVERYONE = {CITIZEN, ASN, ORG_A, ORG_B, REMOVED, ADMIN, BANNED}
# Who is allowed, for each kind of requirement.
ANY = EVERYONE - {BANNED}
ORGANIZERS = {ORG_A, ORG_B, ADMIN}
THIS_UNIT = {ORG_A, ADMIN}
ADMINS = {ADMIN}
REPORTER = {CITIZEN}  # the complaint's own reporter
RESPONDENT = {ASN}  # the questionnaire's own respondent

VICTIM = 7009  # an organizer of the other unit whom admins may remove and add back
STRANGER = 7010  # a user whom admins may block and unblock


@dataclass
class World:
    people: dict[str, Persona]
    complaint: int
    program: int
    response: int
    block: int
    unit_a: int
    unit_b: int


async def _world(harness: Harness) -> World:
    emu = harness.emulator
    admin, rina, dedi = await _setup_organizers(emu)
    siti = emu.user(3301, "Siti", "id")
    andi = emu.user(3302, "Andi", "id")
    yuni = emu.user(3303, "Yuni", "id")
    budi = emu.user(3304, "Budi", "id")
    victim = emu.user(VICTIM, "Korban", "id")
    stranger = emu.user(STRANGER, "Asing", "id")
    await onboard(emu, siti)
    await onboard(emu, andi, "asn")
    for person in (yuni, budi, victim, stranger):
        await onboard(emu, person)
    await say(emu, admin, f"/penyelenggara {yuni.id} LSL-DUKCAPIL")
    await say(emu, admin, f"/penyelenggara {VICTIM} LSM-DINKES")
    assert "tidak lagi menjadi penyelenggara" in text_of(
        await say(emu, admin, f"/hapuspenyelenggara {yuni.id} LSL-DUKCAPIL")
    )
    assert "diblokir" in text_of(await say(emu, admin, f"/blokir {budi.id}"))
    ticket = await _file(emu, siti, photos=1)
    await _wait_text(emu, rina, ticket)

    async with _db(harness).session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()
        unit_a = await place_by_code(session, "LSL-DUKCAPIL")
        unit_b = await place_by_code(session, "LSM-DINKES")
        assert complaint.id and unit_a and unit_a.id and unit_b and unit_b.id
        now = dt.datetime.now(dt.UTC)
        program = await program_service.create_program(
            session,
            spec=ProgramSpec(
                title="Pelatihan Pelayanan Prima",
                unit_id=unit_a.id,
                starts_at=now - dt.timedelta(days=2),
                ends_at=now - dt.timedelta(days=1),
            ),
            caller=Access(user_id=rina.id, units=frozenset({unit_a.id})),
            now=now,
        )
        assert program.id is not None
        response = await engine.open_response(
            session,
            template_id=program.template_id,
            subject_kind=PROGRAM_SUBJECT,
            subject_id=program.id,
            respondent_id=andi.id,
        )
        block = UnitBlock(
            unit_id=unit_a.id,
            user_id=stranger.id,
            complaint_id=complaint.id,
            reason="uji",
            blocked_by=rina.id,
        )
        session.add(block)
        await session.commit()
        assert response.id and block.id
        world = World(
            people={
                CITIZEN: siti,
                ASN: andi,
                ORG_A: rina,
                ORG_B: dedi,
                REMOVED: yuni,
                BANNED: budi,
                ADMIN: admin,  # last: what admins change happens after everyone else tried
            },
            complaint=complaint.id,
            program=program.id,
            response=response.id,
            block=block.id,
            unit_a=unit_a.id,
            unit_b=unit_b.id,
        )
    return world


def _commands() -> list[tuple[str, set[str]]]:
    return [
        ("/aduan", ORGANIZERS),
        ("/ekspor", ORGANIZERS),
        ("/masuk", ORGANIZERS),
        ("/program", ORGANIZERS),
        ("/usulan", ORGANIZERS),
        ("/ringkasan", ORGANIZERS),
        ("/laporanskm", ORGANIZERS),
        ("/staf", ADMINS),
        ("/undang", ADMINS),
        ("/penyelenggara", ADMINS),
        (f"/penyelenggara {VICTIM} LSM-DINKES", ADMINS),
        (f"/hapuspenyelenggara {STRANGER} LSM-DINKES", ADMINS),
        ("/unit", ADMINS),
        (f"/blokir {STRANGER}", ADMINS),
        (f"/bukablokir {STRANGER}", ADMINS),
        ("/blokiran", ADMINS),
        ("/audit", ADMINS),
        ("/start", ANY),
        ("/bantuan", ANY),
        ("/bahasa", ANY),
        ("/id", ANY),
        ("/batal", ANY),
        ("/lapor", ANY),
        ("/status", ANY),
        ("/privasi", ANY),
        ("/datasaya", EVERYONE),  # UU PDP rights do not end with a ban
        ("/hapusdata", EVERYONE),
        ("/usul", ANY),
        ("/gabung", ANY),
        ("/pelatihan", ANY),
        ("/sertifikat", ANY),  # one's own; revoking checks the program's unit in the service
    ]


def _buttons(w: World) -> list[tuple[ButtonData, set[str]]]:
    return [
        (Menu("aduan"), ORGANIZERS),
        (Menu("bantuan"), ANY),
        (Language("id"), ANY),
        (FlowStep("c", "cat", "0"), ANY),  # each flow checks its own state and requirement
        (Inbox(), ORGANIZERS),
        (OpenComplaint(w.complaint), THIS_UNIT),
        (ComplaintFiles(w.complaint), THIS_UNIT),
        (BlockReporter(w.complaint), THIS_UNIT),
        (ComplaintAction(w.complaint, "verify"), THIS_UNIT),
        (MyComplaint(w.complaint), REPORTER),
        (AddInformation(w.complaint), REPORTER),
        (MakePin(w.complaint), REPORTER),
        (Rate(w.complaint, 5), REPORTER),
        (Handled(w.complaint, "sudah"), REPORTER),
        (FillQuestionnaire(w.response), RESPONDENT),
        (QuestionAnswer(w.response, 0, "4"), RESPONDENT),
        (QuestionBack(w.response, 1), RESPONDENT),
        (QuestionSkip(w.response, 0), RESPONDENT),
        (QuestionNext(w.response, 0), RESPONDENT),
        (ChangeAnswer(w.response, 0), RESPONDENT),
        (ReviewPage(w.response, 0), RESPONDENT),
        (SubmitAnswers(w.response), RESPONDENT),
        (OpenProgram(w.program), THIS_UNIT),
        (ProgramAction(w.program, "refresh"), THIS_UNIT),
        (NewProgram(), ORGANIZERS),
        (ProgramPage(1), ORGANIZERS),
        (AssignPage(VICTIM, 0), ADMINS),
        (AssignUnit(VICTIM, w.unit_b), ADMINS),
        (StaffList(), ADMINS),
        (StaffMember(VICTIM), ADMINS),
        (StaffRemove(VICTIM, w.unit_b), ADMINS),
        (InvitePage(0), ADMINS),
        (InviteFor(w.unit_b), ADMINS),
        (LiftBlock(w.block), ADMINS),
    ]


def _refusals(harness: Harness) -> set[str]:
    assert harness.runner is not None
    texts = harness.runner.application.bot_data.texts
    return {
        texts.for_language(lang)(key)
        for lang in ("id", "en")
        for key in ("access.denied", "guard.banned", "status.not_found")
    }


async def _answer(emu: BotApiEmulator, who: Persona, push: int) -> list[str]:
    """Everything the bot said to `who` in answer to one update: messages and alerts."""
    chat_before = len(emu.events(who))
    alerts_before = len(emu.callback_answers)
    await emu.wait_acknowledged(push)
    if len(emu.events(who)) == chat_before and len(emu.callback_answers) == alerts_before:
        # Files (an export) come through the outbox a moment after the update.
        await emu.wait_until(lambda: len(emu.events(who)) > chat_before, timeout=10)
    said = [event.text for event in emu.events(who)[chat_before:]]
    said += [a.text or "" for a in emu.callback_answers[alerts_before:]]
    return said


async def test_every_command_and_button_against_every_role(harness: Harness) -> None:
    emu = harness.emulator
    w = await _world(harness)
    refusals = _refusals(harness)
    commands, buttons = _commands(), _buttons(w)

    # The table covers everything the application registered.
    assert harness.runner is not None
    registered_commands: set[frozenset[str]] = set()
    registered_kinds: set[type[ButtonData]] = {FlowStep}
    for group in harness.runner.application.handlers.values():
        for handler in group:
            if isinstance(handler, CommandHandler):
                registered_commands.add(frozenset(handler.commands))
            elif isinstance(handler, CallbackQueryHandler) and hasattr(handler.callback, "kind"):
                registered_kinds.add(handler.callback.kind)
    tabled = {text.split()[0].lstrip("/") for text, _ in commands}
    assert [sorted(c) for c in registered_commands if not c & tabled] == []
    assert registered_kinds == {type(data) for data, _ in buttons}

    wrong: list[str] = []
    for text, allowed in commands:
        for role, person in w.people.items():
            said = await _answer(emu, person, emu.send_text(person, text))
            assert said, f"{text} as {role}: no answer at all"
            refused = any(line in refusals for line in said)
            if refused == (role in allowed):
                wrong.append(f"{text} as {role}: {'refused' if refused else 'allowed'}")
    for data, allowed in buttons:
        for role, person in w.people.items():
            message = emu.last_message(person)
            said = await _answer(emu, person, emu.press_data(person, message, data.pack()))
            refused = any(line in refusals for line in said)
            if refused == (role in allowed):
                wrong.append(f"{data} as {role}: {'refused' if refused else 'allowed'}")
    assert wrong == []

    # Refusals changed nothing: the other unit's organizer only exported their own unit (and
    # asked for their own unit's SKM report).
    async with _db(harness).session() as session:
        entries = (await session.exec(select(AuditEntry))).all()
    assert {e.actor_id for e in entries} <= {ADMIN_ID, w.people[ORG_A].id, w.people[ORG_B].id}
    assert {e.action for e in entries if e.actor_id == w.people[ORG_B].id} == {
        "export_complaints",
        "report_skm",
    }


async def test_an_invitation_makes_one_organizer_once_and_the_admin_can_remove_them(
    harness: Harness,
) -> None:
    emu = harness.emulator
    admin = emu.user(ADMIN_ID, "Admin", "id")
    await onboard(emu, admin, "asn")
    async with _db(harness).session() as session:
        unit = await place_by_code(session, "LSL-DUKCAPIL")
    assert unit is not None and unit.id is not None
    await say(emu, admin, "/undang")
    while InviteFor(unit.id).pack() not in [d for _, d in emu.last_with_buttons(admin).buttons]:
        await tap(emu, admin, "Berikutnya ▶️")  # the next page of units
    made = text_of(await tap(emu, admin, InviteFor(unit.id).pack()))
    link = next(word for word in made.split() if word.startswith("https://t.me/"))
    payload = link.split("?start=")[1]
    assert "sekali" in made

    # A new person opens it: privacy notice first, then the role.
    wati = emu.user(4401, "Wati", "id", username="wati_bkd")
    await say(emu, wati, f"/start {payload}")
    await tap(emu, wati, step("on", "privacy", "yes"))
    welcome = text_of(await tap(emu, wati, step("on", "role", "asn")))
    assert "Anda sekarang penyelenggara untuk" in welcome and "Pencatatan Sipil" in welcome
    # The menu that follows already has the organizer's entries.
    assert Menu("aduan").pack() in [data for _, data in emu.last_with_buttons(wati).buttons]
    told = await _wait_text(emu, admin, "menerima undangan")
    assert "Wati @wati_bkd (4401)" in told
    assert "Daftar aduan" in text_of(await say(emu, wati, "/aduan"))

    # The same link does nothing for anyone else, or for her again.
    joko = emu.user(4402, "Joko", "id")
    await onboard(emu, joko)
    assert "tidak berlaku" in text_of(await say(emu, joko, f"/start {payload}"))
    assert "tidak tersedia" in text_of(await say(emu, joko, "/aduan"))

    # The admin finds her in the staff list by name and removes her from the unit.
    listing = text_of(await say(emu, admin, "/staf"))
    assert "Wati @wati_bkd (4401): Kabupaten Lampung Selatan › Dinas Kependudukan" in listing
    inbox_button = emu.last_with_buttons(wati)
    await tap(emu, admin, "Wati @wati_bkd")
    page = emu.last_with_buttons(admin)
    remove = next(data for label, data in page.buttons if label.startswith("Lepas dari"))
    await emu.wait_acknowledged(emu.press_data(admin, page, remove))
    assert "Dilepas" in (emu.callback_answers[-1].text or "")
    await _wait_text(emu, wati, "tidak lagi menjadi penyelenggara")
    # A button she received while organizer now does nothing but say so.
    before = len(emu.callback_answers)
    await emu.wait_acknowledged(emu.press(wati, inbox_button, inbox_button.buttons[0][1]))
    assert "tidak tersedia" in (emu.callback_answers[before].text or "")

    async with _db(harness).session() as session:
        actions = [e.action for e in (await session.exec(select(AuditEntry))).all()]
    assert actions == ["invite_created", "assign_organizer", "remove_organizer"]


async def test_an_admin_invitation_expires_and_an_appointed_admin_can_be_dismissed(
    harness: Harness,
) -> None:
    emu = harness.emulator
    assert harness.runner is not None
    state = harness.runner.application.bot_data
    admin = emu.user(ADMIN_ID, "Admin", "id")
    await onboard(emu, admin, "asn")
    await say(emu, admin, "/undang")
    made = text_of(await tap(emu, admin, "Admin (semua unit)"))
    first = next(w for w in made.split() if w.startswith("https://t.me/")).split("?start=")[1]
    await say(emu, admin, "/undang")
    made = text_of(await tap(emu, admin, "Admin (semua unit)"))
    second = next(w for w in made.split() if w.startswith("https://t.me/")).split("?start=")[1]

    lina = emu.user(4501, "Lina", "id")
    await onboard(emu, lina)
    real_clock = state.clock
    state.clock = lambda: real_clock() + dt.timedelta(hours=73)
    assert "kedaluwarsa" in text_of(await say(emu, lina, f"/start {first}"))
    state.clock = real_clock
    assert "admin Suara" in text_of(await say(emu, lina, f"/start {second}"))

    # An appointed admin has the powers (and cannot be blocked), then is dismissed.
    assert "pilih unit untuk mengganti nama" in text_of(await say(emu, lina, "/unit"))
    assert "admin" in text_of(await say(emu, admin, f"/blokir {lina.id}"))
    await say(emu, admin, "/staf")
    await tap(emu, admin, "Lina")
    await tap(emu, admin, "Berhentikan sebagai admin")
    await _wait_text(emu, lina, "tidak lagi menjadi admin")
    assert "tidak tersedia" in text_of(await say(emu, lina, "/unit"))
    # The founding admin (BOT_ADMIN_IDS) has no dismiss button at all.
    await say(emu, admin, "/staf")
    await tap(emu, admin, StaffMember(ADMIN_ID).pack())
    page = emu.last_with_buttons(admin)
    assert "BOT_ADMIN_IDS" in page.text
    assert StaffRemove(ADMIN_ID, 0).pack() not in [d for _, d in page.buttons]
    before = len(emu.callback_answers)
    await emu.wait_acknowledged(emu.press_data(admin, page, StaffRemove(ADMIN_ID, 0).pack()))
    assert "BOT_ADMIN_IDS" in (emu.callback_answers[before].text or "")
    async with _db(harness).session() as session:
        invites = (await session.exec(select(Invite))).all()
    assert sorted(i.used_by is not None for i in invites) == [False, True]


async def test_the_services_refuse_the_same_people_without_the_chat(harness: Harness) -> None:
    """The same table, called on the services directly as the web workspace and the command
    line will: the service refuses the caller itself, whatever door it came through."""
    from bot.services import staff as staff_service
    from bot.services.access import load
    from bot.services.errors import NotFound, Refused
    from bot.storage.users import get_user

    w = await _world(harness)
    state = _db(harness)
    settings = harness.settings
    now = dt.datetime.now(dt.UTC)
    spec = ProgramSpec(
        title="Pelatihan Layanan",
        unit_id=w.unit_a,
        starts_at=now + dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=2),
    )
    calls: list[tuple[str, set[str], Any]] = [
        ("invite", ADMINS, lambda s, c: staff_service.invite(
            s, settings, caller=c, unit_id=w.unit_b, now=now)),
        ("invite an admin", ADMINS, lambda s, c: staff_service.invite(
            s, settings, caller=c, unit_id=None, now=now)),
        ("appoint", ADMINS, lambda s, c: staff_service.appoint_organizer(
            s, caller=c, user_id=STRANGER, unit_id=w.unit_b)),
        ("remove", ADMINS, lambda s, c: staff_service.remove_from_unit(
            s, settings, caller=c, user_id=VICTIM, unit_id=w.unit_b, now=now)),
        ("ban", ADMINS, lambda s, c: staff_service.set_banned(
            s, settings, caller=c, user_id=STRANGER, banned=True)),
        ("create a program", THIS_UNIT, lambda s, c: program_service.create_program(
            s, spec=spec, caller=c, now=now)),
    ]  # fmt: skip
    wrong: list[str] = []
    for name, allowed, call in calls:
        for role, person in w.people.items():
            async with state.session() as session:
                caller = await load(
                    session, settings, person.id, await get_user(session, person.id)
                )
                try:
                    await call(session, caller)
                    refused = False
                except NotFound as exc:
                    refused = exc.key in {"access.denied", "button.stale"}
                except Refused as exc:
                    refused = exc.key in {"access.denied", "program.unit_not_yours"}
                await session.rollback()  # nothing any call did is kept
            if refused == (role in allowed):
                wrong.append(f"{name} as {role}: {'refused' if refused else 'allowed'}")
    assert wrong == []
