"""Organizers and their training programs: /program lists them, a page shows one (participants,
response rate, the aggregates once enough answered, never who said what) with its actions, and
a short flow creates one in the chat.

Every button names a program by id and is checked against the presser's units when pressed, so
a forwarded or forged button shows nothing of another unit's program.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.ext import Application

from bot.buttons import NewProgram, OpenProgram, ProgramAction, ProgramPage
from bot.context import SuaraContext
from bot.handlers.buttons import on_button
from bot.handlers.flow import END, NEXT, Flow, Invalid, SkippableStep, Stale, Step, Turn
from bot.handlers.requires import command, requires
from bot.handlers.unit_picker import UnitPicker
from bot.jobs.feedback import due_job
from bot.keyboards import Button, columns, keyboard, pager
from bot.render import shorten
from bot.reports import level3_text
from bot.reports.feedback_export import program_workbook
from bot.reports.qr import qr_png
from bot.services import feedback, level3
from bot.services import programs as service
from bot.services.access import Need
from bot.services.complaints import unit_label
from bot.services.programs import ProgramError, ProgramSpec
from bot.services.questionnaires import items, template_of
from bot.storage import audit
from bot.storage import programs as store
from bot.storage.places import UnitChoice, all_units
from bot.storage.programs import MODES, PROGRAM_CLOSED, PROGRAM_SCHEDULED, Program

EXTEND_DAYS = 7
LIST_PAGE = 10
_MOMENT_FORMATS = ("%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M", "%d-%m-%Y %H.%M", "%d/%m/%Y %H.%M")


async def _managed(update: Update, context: SuaraContext, program_id: int) -> Program | None:
    """The program if this user manages it; one refusal for 'missing' and 'not yours'."""
    program = await context.db.get(Program, program_id)
    if program is None or not (await context.access()).handles(program.unit_id):
        context.deny(update)
        return None
    return program


@requires(Need.ORGANIZER)
async def list_command(update: Update, context: SuaraContext) -> None:
    """/program [KODE]: the programs of the organizer's units, running and coming ones first,
    a page at a time; with a code, that program's page."""
    context.answer(update)
    if context.args:
        program = await store.program_by_code(context.db, context.args[0][:16])
        if program is None or not (await context.access()).handles(program.unit_id):
            context.reply(update, context.t("program.code_unknown", code=context.args[0][:16]))
            return
        context.reply(update, *await _page(context, program))
        return
    context.reply(update, *await _calendar(context, 0))


@requires(Need.ORGANIZER)
async def list_page_button(update: Update, context: SuaraContext, pressed: ProgramPage) -> None:
    context.answer(update)
    context.edit(update, *await _calendar(context, pressed.page))


async def _calendar(context: SuaraContext, page: int) -> tuple[str, InlineKeyboardMarkup]:
    t = context.t
    scope = (await context.access()).unit_scope()
    now = context.bot_data.clock()
    page = max(0, min(page, 10_000))
    programs, total = await store.program_calendar(
        context.db, scope, now=now, offset=page * LIST_PAGE, limit=LIST_PAGE
    )
    pages = max(1, -(-total // LIST_PAGE))
    if page >= pages:  # the list shrank since the button was sent
        page = pages - 1
        programs, total = await store.program_calendar(
            context.db, scope, now=now, offset=page * LIST_PAGE, limit=LIST_PAGE
        )
    lines = [t("program.list_title")]
    if pages > 1:
        lines.append(t("program.list_page", page=page + 1, pages=pages, total=total))
    rows: list[list[Button]] = []
    for program in programs:
        assert program.id is not None
        lines.append(
            t(
                "program.list_item",
                code=program.code,
                title=shorten(program.title, 80),
                start=t.date(program.starts_at.astimezone(context.settings.tz)),
                state=t(f"program.state_{program.status}"),
            )
        )
        rows.append([(f"{program.code} · {shorten(program.title, 40)}", OpenProgram(program.id))])
    if not programs:
        lines.append(t("program.list_empty"))
    rows.append(pager(page, pages, (t("common.previous"), t("common.next")), ProgramPage))
    rows.append([(t("program.new"), NewProgram())])
    return "\n".join(lines), keyboard(rows)


@requires(Need.ORGANIZER)
async def open_button(update: Update, context: SuaraContext, pressed: OpenProgram) -> None:
    program = await _managed(update, context, pressed.program)
    if program is None:
        return
    context.answer(update)
    context.reply(update, *await _page(context, program))


async def _page(context: SuaraContext, program: Program) -> tuple[str, InlineKeyboardMarkup]:
    t = context.t
    assert program.id is not None
    tz = context.settings.tz
    minimum = context.settings.feedback_min_responses
    figures = await service.figures(context.db, program, minimum=minimum)
    username = context.bot.username if context.bot else None
    text = t(
        "program.page",
        code=program.code,
        title=program.title,
        unit=await unit_label(context.db, program.unit_id),
        provider=program.provider or "-",
        mode=t(f"program.mode_{program.mode}"),
        start=t.datetime(program.starts_at.astimezone(tz)),
        end=t.datetime(program.ends_at.astimezone(tz)),
        closes=t.datetime(program.closes_at.astimezone(tz)),
        instructors="; ".join(program.instructors) or "-",
        state=t(f"program.state_{program.status}"),
        link=service.join_link(program, username) if username else "-",
        participants=figures.participants,
        respondents=figures.respondents,
        rate=t.number(figures.rate * 100, digits=0),
    )
    if figures.withheld:
        text += "\n\n" + t("program.withheld", minimum=minimum)
    else:
        template = await template_of(context.db, program.template_id)
        asked = items(template, program.instructors)
        means = {(f.question, f.instructor): f for f in figures.items}
        lines = [t("program.aggregates")]
        for item in asked:
            figure = means.get((item.question.code, item.instructor))
            if figure is None:
                continue
            label = item.question.text(t.language).replace("{instructor}", item.instructor_name)
            lines.append(
                t(
                    "program.aggregate_line",
                    item=shorten(label, 70),
                    mean=t.number(figure.mean, digits=2),
                    high=item.question.max,
                    count=figure.answers,
                )
            )
        text += "\n\n" + "\n".join(lines)
    followup = (await level3.results(context.db, [program.id])).get(program.id)
    if followup is not None and not followup.empty:
        text += "\n\n" + "\n".join(level3_text.lines(t, followup))
    return text, keyboard(_actions(context, program))


def _actions(context: SuaraContext, program: Program) -> list[list[Button]]:
    t = context.t
    assert program.id is not None
    buttons: list[Button] = []
    if program.status == PROGRAM_SCHEDULED:
        buttons.append((t("program.action_send"), ProgramAction(program.id, "send")))
    if program.status != PROGRAM_CLOSED:
        buttons.append(
            (t("program.action_extend", days=EXTEND_DAYS), ProgramAction(program.id, "extend"))
        )
        buttons.append((t("program.action_close"), ProgramAction(program.id, "close")))
    buttons.append((t("program.action_qr"), ProgramAction(program.id, "qr")))
    buttons.append((t("program.action_export"), ProgramAction(program.id, "export")))
    buttons.append((t("program.action_refresh"), ProgramAction(program.id, "refresh")))
    return columns(buttons, 2)


@requires(Need.ORGANIZER)
async def action_button(update: Update, context: SuaraContext, pressed: ProgramAction) -> None:
    program = await _managed(update, context, pressed.program)
    if program is None or update.effective_user is None:
        return
    t = context.t
    now = context.bot_data.clock()
    if pressed.action != "refresh":
        await _audit(context, update.effective_user.id, f"program_{pressed.action}", program)
    if pressed.action == "qr":
        context.answer(update)
        await _send_qr(update, context, program)
        return
    if pressed.action == "export":
        context.answer(update)
        await _send_export(update, context, program)
        return
    if pressed.action == "send":
        if not await feedback.send_now(context.db, program, now=now):
            context.answer(update, t("program.already_sent"), alert=True)
            return
        context.answer(update, t("program.sending"), alert=True)
        if context.job_queue is not None:
            # Right after this update's commit: the due item is visible by then.
            context.job_queue.run_once(due_job, when=1)
    elif pressed.action == "extend":
        if program.status == PROGRAM_CLOSED:
            context.answer(update, t("program.is_closed"), alert=True)
            return
        await feedback.extend(context.db, program, days=EXTEND_DAYS)
        context.answer(update, t("program.extended", days=EXTEND_DAYS))
    elif pressed.action == "close":
        if program.status == PROGRAM_CLOSED:
            context.answer(update, t("program.is_closed"), alert=True)
            return
        await feedback.close_now(context.db, program, now=now)
        context.answer(update, t("program.closed_now"))
    else:
        context.answer(update)
    text, markup = await _page(context, program)
    context.edit(update, text, markup)


async def _audit(context: SuaraContext, actor_id: int, action: str, program: Program) -> None:
    audit.record(
        context.db,
        actor_id=actor_id,
        actor_role=(await context.access()).actor_role,
        action=action,
        subject_kind="program",
        subject_id=program.id,
        detail=program.code,
    )


async def _send_qr(update: Update, context: SuaraContext, program: Program) -> None:
    t = context.t
    username = context.bot.username
    if not username or update.effective_chat is None:
        context.reply(update, t("program.qr_no_username"))
        return
    link = service.join_link(program, username)
    context.call(
        "sendPhoto",
        chat_id=update.effective_chat.id,
        photo=InputFile(qr_png(link), filename=f"gabung-{program.code}.png"),
        caption=t(
            "program.qr_caption", title=shorten(program.title, 200), code=program.code, link=link
        ),
        parse_mode="HTML",
    )


async def _send_export(update: Update, context: SuaraContext, program: Program) -> None:
    """The program's submitted questionnaires as XLSX: scores and comments, no names."""
    assert program.id is not None and update.effective_chat is not None
    workbook, count = await program_workbook(
        context.db, tz=context.settings.tz, program_id=program.id
    )
    context.call(
        "sendDocument",
        chat_id=update.effective_chat.id,
        document=InputFile(workbook, filename=f"umpan-balik-{program.code}.xlsx"),
        caption=context.t(
            "program.export_caption",
            count=count,
            code=program.code,
            minimum=context.settings.feedback_min_responses,
        ),
    )


# -- creating a program in the chat -----------------------------------------------------------


class ProgramDraft(BaseModel):
    title: str | None = None
    unit_id: int | None = None
    unit_page: int = 0
    unit_query: str | None = None
    provider: str | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    mode: str | None = None
    instructors: list[str] = []


PTurn = Turn[ProgramDraft]


class Title(Step[ProgramDraft]):
    name = "title"

    async def ask(self, turn: PTurn) -> None:
        turn.reply(turn.t("program.ask_title"))

    async def on_message(self, turn: PTurn, message: Message) -> str:
        title = (message.text or "").strip()
        if not 3 <= len(title) <= service.TITLE_MAX:
            raise Invalid("program.title_invalid", maximum=service.TITLE_MAX)
        turn.draft.title = title
        return NEXT


class Unit(UnitPicker[ProgramDraft]):
    """Which of the organizer's active units runs it (skipped when they have only one)."""

    name = "unit"
    question = "program.ask_unit"

    def answered(self, draft: ProgramDraft) -> bool:
        return draft.unit_id is not None

    async def choices(self, turn: PTurn) -> list[UnitChoice]:
        mine = set(await _units(turn.update, turn.context))
        return [c for c in await super().choices(turn) if c.id in mine]

    async def chosen(self, turn: PTurn, choice: UnitChoice) -> str:
        turn.draft.unit_id = choice.id
        label = await unit_label(turn.context.db, choice.id)
        turn.edit(turn.t("program.unit_chosen", unit=label))
        return NEXT


async def _units(update: Update, context: SuaraContext) -> list[int]:
    """The active units the caller may run programs for."""
    scope = (await context.access()).unit_scope()
    active = [u.id for u in await all_units(context.db, active_only=True) if u.id is not None]
    return active if scope is None else [u for u in active if u in scope]


class Provider(SkippableStep[ProgramDraft]):
    name = "provider"
    question = "program.ask_provider"
    skipped = "program.provider_skipped"

    async def on_message(self, turn: PTurn, message: Message) -> str:
        provider = (message.text or "").strip()
        if not 2 <= len(provider) <= service.PROVIDER_MAX:
            raise Invalid("program.provider_invalid", maximum=service.PROVIDER_MAX)
        turn.draft.provider = provider
        return NEXT


def parse_moment(text: str, tz: dt.tzinfo) -> dt.datetime | None:
    """ "25-11-2026 08:00" (or with / and 08.00) in the deployment's time zone."""
    for pattern in _MOMENT_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), pattern).replace(tzinfo=tz)
        except ValueError:
            continue
    return None


class Moment(Step[ProgramDraft]):
    """The start or the end, written as a date and a time."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def ask(self, turn: PTurn) -> None:
        turn.reply(turn.t(f"program.ask_{self.name}"))

    async def on_message(self, turn: PTurn, message: Message) -> str:
        moment = parse_moment(message.text or "", turn.context.settings.tz)
        if moment is None:
            raise Invalid("program.moment_invalid")
        try:
            service.check_moment(moment, now=turn.context.bot_data.clock())
        except ProgramError as exc:
            raise Invalid(exc.key, **exc.values) from None
        if self.name == "start":
            turn.draft.starts_at = moment
            return NEXT
        if turn.draft.starts_at is None or moment <= turn.draft.starts_at:
            raise Invalid("program.end_before_start")
        turn.draft.ends_at = moment
        return NEXT


class Mode(Step[ProgramDraft]):
    name = "mode"

    async def ask(self, turn: PTurn) -> None:
        t = turn.t
        rows = [[turn.button(t(f"program.mode_{mode}"), mode)] for mode in MODES]
        turn.reply(t("program.ask_mode"), keyboard(rows))

    async def on_button(self, turn: PTurn, value: str) -> str:
        if value not in MODES:
            raise Stale
        turn.draft.mode = value
        turn.edit(turn.t("program.mode_chosen", mode=turn.t(f"program.mode_{value}")))
        return NEXT


class Instructors(SkippableStep[ProgramDraft]):
    name = "instructors"
    question = "program.ask_instructors"
    skipped = "program.instructors_skipped"

    def skip(self, turn: PTurn) -> None:
        turn.draft.instructors = []

    async def on_message(self, turn: PTurn, message: Message) -> str:
        names = service.parse_instructors(message.text or "")
        if (
            not names
            or len(names) > service.INSTRUCTORS_MAX
            or any(not 2 <= len(n) <= service.INSTRUCTOR_MAX for n in names)
        ):
            raise Invalid(
                "program.instructors_invalid",
                count=service.INSTRUCTORS_MAX,
                maximum=service.INSTRUCTOR_MAX,
            )
        turn.draft.instructors = names
        return NEXT


class Confirm(Step[ProgramDraft]):
    name = "confirm"

    async def ask(self, turn: PTurn) -> None:
        t, draft = turn.t, turn.draft
        tz = turn.context.settings.tz
        if draft.unit_id:
            tz = await feedback.unit_zone(turn.context.db, draft.unit_id, tz)
        text = t(
            "program.confirm",
            title=draft.title or "-",
            unit=await unit_label(turn.context.db, draft.unit_id) if draft.unit_id else "-",
            provider=draft.provider or "-",
            start=t.datetime(draft.starts_at.astimezone(tz)) if draft.starts_at else "-",
            end=t.datetime(draft.ends_at.astimezone(tz)) if draft.ends_at else "-",
            mode=t(f"program.mode_{draft.mode or MODES[0]}"),
            instructors="; ".join(draft.instructors) or "-",
            days=turn.context.settings.feedback_window_days,
        )
        turn.reply(
            text,
            keyboard(
                [
                    [turn.button(t("program.save"), "save")],
                    [turn.button(t("common.cancel"), "cancel")],
                ]
            ),
        )

    async def on_button(self, turn: PTurn, value: str) -> str:
        draft, context = turn.draft, turn.context
        if value == "cancel":
            turn.edit(turn.t("cancel.done"))
            return END
        if value != "save" or not (
            draft.title and draft.unit_id and draft.starts_at and draft.ends_at
        ):
            raise Stale
        settings = context.settings
        try:
            program = await service.create_program(
                context.db,
                spec=ProgramSpec(
                    title=draft.title,
                    unit_id=draft.unit_id,
                    starts_at=draft.starts_at,
                    ends_at=draft.ends_at,
                    provider=draft.provider,
                    mode=draft.mode or MODES[0],
                    instructors=draft.instructors,
                    window_days=settings.feedback_window_days,
                    followup_weeks=settings.followup_weeks,
                ),
                caller=await context.access(),
                now=context.bot_data.clock(),
            )
        except ProgramError as exc:
            if exc.key == "program.unit_not_yours":
                return await _unit_lost(turn)
            raise Invalid(exc.key, **exc.values) from None
        turn.edit(turn.t("program.created", code=program.code, title=program.title))
        turn.reply(*await _page(context, program))
        await _send_qr(turn.update, context, program)
        return END


async def _unit_lost(turn: PTurn) -> str:
    """The organizer no longer handles the draft's unit: they choose again among theirs."""
    assert turn.draft.unit_id is not None
    label = await unit_label(turn.context.db, turn.draft.unit_id)
    turn.draft.unit_id = None
    turn.reply(turn.t("program.unit_lost", unit=label))
    return Unit.name


class CreateFlow(Flow[ProgramDraft]):
    async def recheck(self, turn: PTurn) -> str | None:
        unit_id = turn.draft.unit_id
        if unit_id is None or (await turn.context.access()).handles(unit_id):
            return None
        return await _unit_lost(turn)


CREATE = CreateFlow(
    name="program",
    code="p",
    requires=Need.ORGANIZER,
    draft=ProgramDraft,
    steps=[
        Title(),
        Unit(),
        Provider(),
        Moment("start"),
        Moment("end"),
        Mode(),
        Instructors(),
        Confirm(),
    ],
)


@requires(Need.ORGANIZER)
async def new_button(update: Update, context: SuaraContext, pressed: NewProgram) -> None:
    units = await _units(update, context)
    if not units:
        context.deny(update)
        return
    context.answer(update)
    draft = ProgramDraft(unit_id=units[0] if len(units) == 1 else None)
    await CREATE.start(update, context, draft)


def register(application: Application) -> None:
    application.add_handler(command(["program", "programs"], list_command))
    application.bot_data.menu_items["program"] = list_command
    application.add_handler(on_button(OpenProgram, open_button))
    application.add_handler(on_button(ProgramPage, list_page_button))
    application.add_handler(on_button(ProgramAction, action_button))
    application.add_handler(on_button(NewProgram, new_button))
    CREATE.register(application)
