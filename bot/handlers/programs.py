"""Organizers and their training programs: /program lists them, a page shows one (participants,
response rate, the aggregates once enough answered, never who said what) with its actions, and
a short flow creates one in the chat.

Every button names a program by id and is checked against the presser's units when pressed, so
a forwarded or forged button shows nothing of another unit's program.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from pydantic import BaseModel
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import Application

from bot.buttons import NewProgram, OpenProgram, ProgramAction, ProgramActionName, ProgramPage
from bot.context import SuaraContext
from bot.handlers import certificates as certificate_handlers
from bot.handlers.buttons import on_button
from bot.handlers.flow import END, NEXT, STAY, Flow, Invalid, SkippableStep, Stale, Step, Turn
from bot.handlers.requires import command, requires
from bot.handlers.unit_picker import UnitPicker
from bot.i18n import Safe
from bot.jobs.feedback import due_job
from bot.keyboards import Button, columns, keyboard, page_of, pager
from bot.render import shorten
from bot.reports import knowledge_text, level3_text
from bot.services import feedback, program_pages, reports
from bot.services import programs as service
from bot.services.access import Need
from bot.services.complaints import unit_label
from bot.services.errors import Refused
from bot.services.programs import ProgramError, ProgramSpec
from bot.storage import programs as store
from bot.storage.places import UnitChoice, all_units
from bot.storage.programs import MODES, Program

EXTEND_DAYS = program_pages.EXTEND_DAYS
WINDOW_MAX = program_pages.WINDOW_MAX
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
    """The program's page as the service gives it (the gate is decided there, for both
    doors)."""
    t = context.t
    assert program.id is not None
    tz = context.settings.tz
    minimum = context.settings.feedback_min_responses
    shown = await program_pages.view(
        context.db,
        await context.access(),
        program.id,
        minimum=minimum,
        default_zone=tz,
        now=context.bot_data.clock(),
        details=False,
    )
    figures = shown.figures
    username = context.bot.username if context.bot else None
    text = t(
        "program.page",
        code=program.code,
        title=program.title,
        unit=shown.unit_label,
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
    if shown.questionnaire is not None:
        given = shown.questionnaire
        form = t("questionnaire_choice.form", title=given.title(t.language), code=given.code,
                 version=given.version)  # fmt: skip
        languages = _languages_named(t, shown.languages)
        text += "\n" + t("questionnaire_choice.review", form=Safe(form), languages=languages)
    roll = await certificate_handlers.roll_line(context, program)
    if roll:
        text += "\n" + roll
    if shown.withheld:
        text += "\n\n" + t("program.withheld", minimum=minimum)
    else:
        lines = [t("program.aggregates")]
        for line in shown.lines:
            lines.append(
                t(
                    "program.aggregate_line",
                    item=shorten(line.label(t.language), 70),
                    mean=t.number(line.mean, digits=2),
                    high=line.high,
                    count=line.answers,
                )
                + (
                    " · " + t.plural("xlsform.not_attended_count", n, count=n)
                    if (n := line.not_attended)
                    else ""
                )
            )
        text += "\n\n" + "\n".join(lines)
    if shown.knowledge is not None:
        text += "\n\n" + "\n".join(knowledge_text.lines(t, shown.knowledge))
    if shown.followup is not None and not shown.followup.empty:
        text += "\n\n" + "\n".join(level3_text.lines(t, shown.followup))
    rows = _actions(context, program, shown.actions)
    rows += columns(await certificate_handlers.page_buttons(context, program), 2)
    return text, keyboard(rows)


def _actions(
    context: SuaraContext, program: Program, allowed: tuple[str, ...]
) -> list[list[Button]]:
    """The page's buttons: what the service allows now, then the files and a refresh."""
    t = context.t
    assert program.id is not None
    labels = {
        "send": t("program.action_send"),
        "extend": t("program.action_extend", days=EXTEND_DAYS),
        "close": t("program.action_close"),
        "reopen": t("programs.action_reopen", days=EXTEND_DAYS),
        "edit": t("programs.action_edit"),
        "delete": t("programs.action_delete"),
    }
    names: list[ProgramActionName] = ["send", "extend", "close", "reopen", "edit", "delete"]
    buttons: list[Button] = [
        (labels[name], ProgramAction(program.id, name)) for name in names if name in allowed
    ]
    buttons.append((t("program.action_qr"), ProgramAction(program.id, "qr")))
    buttons.append((t("program.action_export"), ProgramAction(program.id, "export")))
    buttons.append((t("program.action_refresh"), ProgramAction(program.id, "refresh")))
    return columns(buttons, 2)


# Taps that cannot be taken back ask first: the question, and the action that does it.
_ASKED: dict[str, ProgramActionName] = {
    "send": "send_yes",
    "close": "close_yes",
    "delete": "delete_yes",
}


@requires(Need.ORGANIZER)
async def action_button(update: Update, context: SuaraContext, pressed: ProgramAction) -> None:
    program = await _managed(update, context, pressed.program)
    if program is None or update.effective_user is None:
        return
    assert program.id is not None
    t = context.t
    now = context.bot_data.clock()
    caller = await context.access()
    action = pressed.action
    if action == "qr":
        context.answer(update)
        await _send_qr(update, context, program)
        return
    if action == "export":
        context.answer(update)
        await _send_export(update, context, program)
        return
    if action in certificate_handlers.ACTIONS:
        context.answer(update)
        said = await certificate_handlers.act(update, context, program, action)
        if said:
            text, markup = await _page(context, program)
            context.edit(update, f"{said}\n\n{text}", markup)
        return
    if action in _ASKED:
        context.answer(update)
        participants = await store.count_participants(context.db, program.id)
        question = t(
            f"programs.ask_{action}",
            title=program.title,
            code=program.code,
            participants=participants,
        )
        yes = (t(f"programs.yes_{action}"), ProgramAction(program.id, _ASKED[action]))
        no = (t("programs.no"), ProgramAction(program.id, "cancel"))
        context.edit(update, question, keyboard([[yes], [no]]))
        return
    if action == "edit":
        await _start_edit(update, context, program.id)
        return
    said = ""
    try:
        if action == "send_yes":
            done = await service.send_now(context.db, caller, program.id, now=now)
            if context.job_queue is not None:
                # Right after this update's commit: the due item is visible by then.
                context.job_queue.run_once(due_job, when=1)
        elif action == "close_yes":
            done = await service.close_window(context.db, caller, program.id, now=now)
        elif action == "reopen":
            done = await service.reopen_window(
                context.db, caller, program.id, now=now, days=EXTEND_DAYS
            )
        elif action == "delete_yes":
            done = await service.delete_program(context.db, caller, program.id)
            context.answer(update)
            context.edit(update, t(done.key, **_shown(context, done.values)))
            return
        else:
            done = None
    except Refused as exc:
        said = t(exc.key, **exc.values)
        context.answer(update, _plain(said), alert=True)
    else:
        if done is not None:
            said = t(done.key, **_shown(context, done.values))
            context.answer(update)
        elif action == "cancel":
            said = t("programs.cancelled")
            context.answer(update, _plain(said))
        elif action == "extend":
            try:
                await service.extend_window(context.db, caller, program.id, days=EXTEND_DAYS)
            except Refused as exc:
                context.refuse(update, exc)
                return
            context.answer(update, t("program.extended", days=EXTEND_DAYS))
        else:
            context.answer(update)
    if await context.db.get(Program, program.id) is None:
        return
    text, markup = await _page(context, program)
    context.edit(update, f"{said}\n\n{text}" if said else text, markup)


def _shown(context: SuaraContext, values: dict[str, object]) -> dict[str, object]:
    """A service's values as the caller reads them (moments in the deployment's zone)."""
    t = context.t
    return {
        name: t.datetime(value.astimezone(context.settings.tz))
        if isinstance(value, dt.datetime)
        else value
        for name, value in values.items()
    }


def _plain(text: str) -> str:
    """A text for a button's alert, which shows no HTML."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))[:190]


async def _send_qr(
    update: Update, context: SuaraContext, program: Program, *, asked: bool = True
) -> None:
    """The join link's QR code, built and sent by the outbox after this update commits."""
    username = context.bot.username
    if not username or program.id is None:
        context.reply(update, context.t("program.qr_no_username"))
        return
    you = await context.access()
    await context.notify(
        await reports.program_qr(context.db, you, program.id, bot_username=username, asked=asked)
    )


async def _send_export(update: Update, context: SuaraContext, program: Program) -> None:
    """The program's released questionnaires as XLSX (scores and comments, no names), built
    and sent by the outbox after this update commits."""
    assert program.id is not None
    you = await context.access()
    await context.notify(await reports.program_answers(context.db, you, program.id))


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
    window_days: int | None = None
    # The evaluation's code (its latest version is given; editing, the code the program has
    # keeps its version), the languages it has, and those chosen (None: all of them).
    questionnaire: str | None = None
    form_page: int = 0
    form_languages: list[str] = []
    languages: list[str] | None = None
    kept_questionnaire: str | None = None
    # Set when the program exists already: saving changes it.
    program_id: int | None = None
    # Set when its questionnaire went out (programs.sent_out): the form, the instructors and
    # the languages are no longer offered for change.
    sent: bool = False
    # Set once the review was shown: each answer goes back to it.
    review: bool = False


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

    def skip(self, turn: PTurn) -> None:
        turn.draft.provider = None

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
        t = turn.t
        if self.name == "start":
            turn.draft.starts_at = moment
            if turn.draft.ends_at is not None and turn.draft.ends_at <= moment:
                turn.draft.ends_at = None  # asked again: the review goes there first
            turn.reply(t("programs.echo_start", moment=t.datetime(moment)))
            return NEXT
        if turn.draft.starts_at is None or moment <= turn.draft.starts_at:
            raise Invalid("program.end_before_start")
        turn.draft.ends_at = moment
        echo = t("programs.echo_end", moment=t.datetime(moment))
        if moment <= turn.context.bot_data.clock():
            echo += "\n" + t("programs.end_past")
        turn.reply(echo)
        return NEXT


class Window(Step[ProgramDraft]):
    """How many days the questionnaire can be answered after the end (from the review)."""

    name = "window"

    async def ask(self, turn: PTurn) -> None:
        turn.reply(turn.t("programs.ask_window", maximum=WINDOW_MAX))

    async def on_message(self, turn: PTurn, message: Message) -> str:
        text = (message.text or "").strip()
        if not text.isdigit() or not 1 <= int(text) <= WINDOW_MAX:
            raise Invalid("programs.window_invalid", maximum=WINDOW_MAX)
        turn.draft.window_days = int(text)
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


FORM_PAGE = 6
FORM_LABEL_MAX = 60


class Form(Step[ProgramDraft]):
    """Which evaluation the program is given: the shipped training evaluation first, then the
    shared ones and the unit's own, as `programs.evaluations` lists them for the unit (the
    workspace's form offers the same), paged. The service decides what a button names."""

    name = "form"

    def answered(self, draft: ProgramDraft) -> bool:
        return draft.questionnaire is not None

    async def ask(self, turn: PTurn) -> None:
        found = await self._found(turn)
        if len(found) == 1 and turn.draft.program_id is None:
            # Nothing to choose: the standard evaluation, said, and on to the next step.
            await self._take(turn, found[0], reply=True)
            await turn.flow.enter(turn, turn.flow.after(self.name, turn.draft))
            return
        turn.reply(*await self._menu(turn, found))

    async def _found(self, turn: PTurn) -> list[service.Evaluation]:
        if turn.draft.unit_id is None:
            raise Stale
        caller = await turn.context.access()
        return await service.evaluations(turn.context.db, caller, turn.draft.unit_id)

    async def _take(self, turn: PTurn, chosen: service.Evaluation, *, reply: bool) -> None:
        draft = turn.draft
        draft.questionnaire = chosen.code
        draft.form_languages = list(chosen.languages)
        draft.languages = None
        said = turn.t("questionnaire_choice.chosen", form=Safe(_form_name(turn.t, chosen)))
        if reply:
            turn.reply(said)
        else:
            turn.edit(said)

    async def _menu(
        self, turn: PTurn, found: list[service.Evaluation] | None = None
    ) -> tuple[str, InlineKeyboardMarkup]:
        t, draft = turn.t, turn.draft
        found = found if found is not None else await self._found(turn)
        shown, page, pages = page_of(found, draft.form_page, FORM_PAGE)
        draft.form_page = page
        rows: list[list[Button]] = [
            [turn.button(_form_label(t, evaluation), f"q_{evaluation.code}")]
            for evaluation in shown
        ]
        labels = (t("common.previous"), t("common.next"))
        rows.append(pager(page, pages, labels, lambda n: turn.button("", f"page_{n}")[1]))
        return t("questionnaire_choice.ask_form"), keyboard(rows)

    async def on_button(self, turn: PTurn, value: str) -> str:
        draft, context = turn.draft, turn.context
        if value.startswith("page_") and value[5:].isdigit():
            draft.form_page = int(value[5:])
            turn.edit(*await self._menu(turn))
            return STAY
        if not value.startswith("q_") or draft.unit_id is None:
            raise Stale
        caller = await context.access()
        if draft.program_id is not None:
            try:  # someone answered since the review was opened: it stays as it was
                program = await service.editable(context.db, caller, draft.program_id)
            except Refused as exc:
                turn.edit(turn.t(exc.key, **exc.values))
                return END
        try:
            chosen = await service.evaluation(context.db, caller, draft.unit_id, value[2:32])
        except Refused as exc:  # another unit's form, a draft, a form of another kind
            raise Invalid(exc.key, **exc.values) from None
        if draft.program_id is not None and chosen.code == draft.kept_questionnaire:
            chosen = await service.given_evaluation(context.db, program)
        await self._take(turn, chosen, reply=False)
        return NEXT


class Languages(Step[ProgramDraft]):
    """Which of the form's languages the program is asked in (all of them, or one alone):
    all by default, changed from the review, which offers it for a form that has more than
    one."""

    name = "langs"

    def answered(self, draft: ProgramDraft) -> bool:
        return draft.languages is not None or len(draft.form_languages) <= 1

    async def ask(self, turn: PTurn) -> None:
        t = turn.t
        rows = [[turn.button(t("questionnaire_choice.languages_all"), "all")]]
        rows += [
            [turn.button(t("questionnaire_choice.language_only", language=_language(t, c)), c)]
            for c in turn.draft.form_languages
        ]
        turn.reply(t("questionnaire_choice.ask_languages"), keyboard(rows))

    async def on_button(self, turn: PTurn, value: str) -> str:
        draft = turn.draft
        if value == "all":
            draft.languages = list(draft.form_languages)
        elif value in draft.form_languages:
            draft.languages = [value]
        else:
            raise Stale
        names = _languages_named(turn.t, draft.languages)
        turn.edit(turn.t("questionnaire_choice.languages_chosen", languages=names))
        return NEXT


def _language(t: Any, code: str) -> str:
    return str(t(f"questionnaire_choice.language_{code}"))


def _languages_named(t: Any, codes: list[str] | tuple[str, ...]) -> str:
    return ", ".join(_language(t, code) for code in codes)


def _form_name(t: Any, evaluation: service.Evaluation) -> str:
    return str(
        t(
            "questionnaire_choice.form",
            title=evaluation.title(t.language),
            code=evaluation.code,
            version=evaluation.version,
        )
    )


def _form_label(t: Any, evaluation: service.Evaluation) -> str:
    """A button's words (plain text): the title, its version, its languages when several."""
    label = f"{evaluation.title(t.language)} · v{evaluation.version}"
    if len(evaluation.languages) > 1:
        label += " · " + "/".join(code.upper() for code in evaluation.languages)
    return shorten(label, FORM_LABEL_MAX)


async def _form_shown(turn: PTurn) -> service.Evaluation | None:
    """The evaluation the review shows: the program's own version while it keeps it, else
    the latest version of the chosen code (the shipped evaluation when none was chosen)."""
    draft, context = turn.draft, turn.context
    caller = await context.access()
    try:
        if draft.program_id is not None and draft.questionnaire in (
            None,
            draft.kept_questionnaire,
        ):
            program = await service.managed(context.db, caller, draft.program_id)
            return await service.given_evaluation(context.db, program)
        if draft.unit_id is None:
            return None
        code = draft.questionnaire or service.TRAINING_TEMPLATE
        return await service.evaluation(context.db, caller, draft.unit_id, code)
    except Refused:
        return None


# The review's buttons: change one field (the step that asks it), then back to the review.
FIELDS = ("title", "provider", "start", "end", "mode", "instructors", "window", "form", "langs")
# The fields whose texts live with the questionnaire's choice.
_CHOICE_FIELDS = ("form", "langs")
# The fields that stay as they were once the questionnaire went out (programs.sent_out).
_SENT_FIELDS = ("instructors", "form", "langs")


def _field_label(t: Any, name: str) -> str:
    key = "questionnaire_choice" if name in _CHOICE_FIELDS else "programs"
    return str(t(f"{key}.change_{name}"))


class Confirm(Step[ProgramDraft]):
    """The review: every field as it will be saved (the times as understood), a warning when
    the end is past, a button per field to change it, save and cancel."""

    name = "confirm"

    async def ask(self, turn: PTurn) -> None:
        t, draft, context = turn.t, turn.draft, turn.context
        draft.review = True
        await turn.flow.save(turn)
        tz = context.settings.tz
        if draft.unit_id:
            tz = await feedback.unit_zone(context.db, draft.unit_id, tz)
        values = dict(
            title=draft.title or "-",
            unit=await unit_label(context.db, draft.unit_id) if draft.unit_id else "-",
            provider=draft.provider or "-",
            start=t.datetime(draft.starts_at.astimezone(tz)) if draft.starts_at else "-",
            end=t.datetime(draft.ends_at.astimezone(tz)) if draft.ends_at else "-",
            mode=t(f"program.mode_{draft.mode or MODES[0]}"),
            instructors="; ".join(draft.instructors) or "-",
            days=_window(turn),
        )
        key = "programs.review_edit" if draft.program_id else "program.confirm"
        text = t(key, **values)
        form = await _form_shown(turn)
        if form is not None:
            languages = draft.languages or form.languages
            text += "\n" + t(
                "questionnaire_choice.review",
                form=Safe(_form_name(t, form)),
                languages=_languages_named(t, [c for c in form.languages if c in languages]),
            )
        if draft.ends_at is not None and draft.ends_at <= context.bot_data.clock():
            text += "\n\n" + t("programs.end_past")
        several = form is not None and len(form.languages) > 1
        if draft.sent:
            text += "\n\n" + t("programs.sent_kept")
        fields = [
            turn.button(_field_label(t, name), f"edit_{name}")
            for name in FIELDS
            if (name != Languages.name or several) and not (draft.sent and name in _SENT_FIELDS)
        ]
        rows: list[list[Button]] = [
            [turn.button(t("program.save"), "save")],
            *columns(fields, 2),
            [turn.button(t("common.cancel"), "cancel")],
        ]
        turn.reply(text, keyboard(rows))

    async def on_button(self, turn: PTurn, value: str) -> str:
        draft, context = turn.draft, turn.context
        if value == "cancel":
            turn.edit(turn.t("cancel.done"))
            return END
        if value.startswith("edit_") and value[5:] in FIELDS:
            field = value[5:]
            if draft.sent and field in _SENT_FIELDS:
                raise Invalid("programs.edit_sent", title=draft.title or "-")
            turn.edit(turn.t("programs.changing", field=_field_label(turn.t, field)))
            if field == Form.name:
                draft.questionnaire, draft.form_page = None, 0
            elif field == Languages.name:
                if not draft.form_languages:
                    form = await _form_shown(turn)
                    draft.form_languages = list(form.languages) if form else []
                draft.languages = None
            return field
        if value != "save" or not (
            draft.title and draft.unit_id and draft.starts_at and draft.ends_at
        ):
            raise Stale
        settings = context.settings
        spec = ProgramSpec(
            title=draft.title,
            unit_id=draft.unit_id,
            starts_at=draft.starts_at,
            ends_at=draft.ends_at,
            provider=draft.provider,
            mode=draft.mode or MODES[0],
            instructors=draft.instructors,
            window_days=_window(turn),
            followup_weeks=settings.followup_weeks,
            # Editing, the code the program has keeps the version it was given.
            questionnaire=None
            if draft.questionnaire == draft.kept_questionnaire
            else draft.questionnaire,
            languages=draft.languages,
        )
        caller = await context.access()
        now = context.bot_data.clock()
        if draft.program_id is not None:
            try:
                done = await service.edit_program(
                    context.db, caller, draft.program_id, spec=spec, now=now
                )
            except ProgramError as exc:
                if exc.key != "programs.edit_answered":
                    raise Invalid(exc.key, **exc.values) from None
                turn.edit(turn.t(exc.key, **exc.values))
                return END
            except Refused as exc:  # gone, or no longer theirs
                turn.edit(turn.t(exc.key, **exc.values))
                return END
            turn.edit(turn.t(done.key, **done.values))
            turn.reply(*await _page(context, done.program))
            return END
        try:
            program = await service.create_program(context.db, spec=spec, caller=caller, now=now)
        except ProgramError as exc:
            if exc.key == "program.unit_not_yours":
                return await _unit_lost(turn)
            raise Invalid(exc.key, **exc.values) from None
        turn.edit(turn.t("program.created", code=program.code, title=program.title))
        turn.reply(*await _page(context, program))
        await _send_qr(turn.update, context, program, asked=False)  # part of creating it
        return END


def _window(turn: PTurn) -> int:
    return turn.draft.window_days or turn.context.settings.feedback_window_days


async def _unit_lost(turn: PTurn) -> str:
    """The organizer no longer handles the draft's unit: they choose again among theirs."""
    assert turn.draft.unit_id is not None
    label = await unit_label(turn.context.db, turn.draft.unit_id)
    turn.draft.unit_id = None
    # The unit's own forms went with it: the evaluation is chosen again too.
    if turn.draft.program_id is None:
        turn.draft.questionnaire, turn.draft.languages, turn.draft.form_languages = None, None, []
    turn.reply(turn.t("program.unit_lost", unit=label))
    return Unit.name


class CreateFlow(Flow[ProgramDraft]):
    def after(self, step: str, draft: ProgramDraft) -> str:
        """In order until the review; from then on, each change goes back to it (by the end,
        when a later start cleared it)."""
        if not draft.review:
            return super().after(step, draft)
        if draft.ends_at is None:
            return "end"
        return Form.name if draft.questionnaire is None and not draft.program_id else Confirm.name

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
        Form(),
        Languages(),
        Confirm(),
        Window(),
    ],
    order=[
        "title", "unit", "provider", "start", "end", "mode", "instructors", "form", "confirm",
    ],
)  # fmt: skip


async def _start_edit(update: Update, context: SuaraContext, program_id: int) -> None:
    """The review of an existing program, to change it; refused once anyone answered."""
    try:
        program = await service.editable(context.db, await context.access(), program_id)
    except Refused as exc:
        context.answer(update, _plain(context.t(exc.key, **exc.values)), alert=True)
        return
    assert program.id is not None
    context.answer(update)
    tz = context.settings.tz
    spec = service.spec_of(program)
    given = await service.given_evaluation(context.db, program)
    draft = ProgramDraft(
        title=program.title,
        unit_id=program.unit_id,
        provider=program.provider,
        starts_at=program.starts_at.astimezone(tz),
        ends_at=program.ends_at.astimezone(tz),
        mode=program.mode,
        instructors=list(program.instructors),
        window_days=spec.window_days,
        questionnaire=given.code,
        kept_questionnaire=given.code,
        form_languages=list(given.languages),
        languages=list(await service.languages_of(context.db, program)),
        program_id=program.id,
        review=True,
        sent=await service.sent_out(context.db, program.id),
    )
    await CREATE.start(update, context, draft, at=Confirm.name)


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
