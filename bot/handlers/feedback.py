"""ASN and their trainings: joining a program (link, QR or /gabung KODE), their list of
trainings, and proposing a training topic (/usul).

Joining registers the participant at once; the NIP and work unit asked after it are optional
and may be skipped. Someone who joins while the questionnaire is already out gets it straight
away. The questionnaires themselves run in bot/handlers/questionnaire.py, and what each kind
of them is about is registered in bot/services/kinds.py.
"""

from __future__ import annotations

from pydantic import BaseModel
from telegram import Message, Update
from telegram.ext import Application

from bot.buttons import FillQuestionnaire
from bot.context import SuaraContext
from bot.handlers import certificates as certificate_handlers
from bot.handlers.flow import END, NEXT, Flow, Invalid, SkippableStep, Stale, Step, Turn
from bot.handlers.questionnaire import link_secret, resume
from bot.handlers.requires import command, requires
from bot.handlers.unit_picker import UnitPicker
from bot.keyboards import Button, keyboard
from bot.render import shorten
from bot.services import feedback
from bot.services import programs as service
from bot.services.access import Need
from bot.services.complaints import unit_label
from bot.services.nip import NipError, check_nip
from bot.services.privacy import person_key
from bot.services.programs import DEEP_LINK_PREFIX, PROGRAM_SUBJECT, ProgramError
from bot.storage import programs as store
from bot.storage.models import ROLE_ASN
from bot.storage.places import UnitChoice
from bot.storage.programs import PROGRAM_CLOSED, Program
from bot.storage.questionnaires import RESPONSE_OPEN, RESPONSE_SUBMITTED, Response, response_for


class JoinDraft(BaseModel):
    nip: str | None = None


class Nip(SkippableStep[JoinDraft]):
    name = "nip"
    question = "join.ask_nip"
    skipped = "join.nip_skipped"

    async def on_message(self, turn: Turn[JoinDraft], message: Message) -> str:
        if message.text is None:
            raise Invalid("join.ask_nip")
        try:
            nip = check_nip(message.text)
        except NipError as exc:
            raise Invalid(exc.key) from None
        await _update_participant(turn, nip=nip)
        return NEXT


class WorkUnit(SkippableStep[JoinDraft]):
    name = "unit"
    question = "join.ask_unit"
    skipped = "join.done_details"
    after_skip = END

    async def on_message(self, turn: Turn[JoinDraft], message: Message) -> str:
        text = (message.text or "").strip()
        if not 2 <= len(text) <= service.WORK_UNIT_MAX:
            raise Invalid("join.unit_invalid", maximum=service.WORK_UNIT_MAX)
        await _update_participant(turn, work_unit=text)
        turn.reply(turn.t("join.done_details"))
        return END


async def _update_participant(
    turn: Turn[JoinDraft], *, nip: str | None = None, work_unit: str | None = None
) -> None:
    program = await turn.context.db.get(Program, turn.ref)
    if program is None:
        raise Stale
    try:
        await service.join(
            turn.context.db, program=program, user_id=turn.user_id, nip=nip, work_unit=work_unit
        )
    except ProgramError as exc:
        raise Invalid(exc.key, **exc.values) from None


JOIN = Flow(name="join", code="j", draft=JoinDraft, steps=[Nip(), WorkUnit()])


async def join_program(update: Update, context: SuaraContext, code: str) -> None:
    """Registers the user for the program with this code."""
    t = context.t
    tg_user = update.effective_user
    if tg_user is None:
        return
    if context.user is None or context.user.consent_at is None:
        context.reply(update, t("start.please_start"))
        return
    program = await store.program_by_code(context.db, code[:12]) if code else None
    if program is None:
        context.reply(update, t("join.unknown", code=code[:12]))
        return
    try:
        joined = await service.join(context.db, program=program, user_id=tg_user.id)
    except ProgramError as exc:
        context.reply(update, t(exc.key, **exc.values))
        return
    local = await feedback.unit_zone(context.db, program.unit_id, context.settings.tz)
    # Someone who joins after the training ended gets the questionnaire now, not "after it".
    done = "join.done_ended" if context.bot_data.clock() >= program.ends_at else "join.done"
    context.reply(
        update,
        t(
            done if joined.new else "join.already",
            title=program.title,
            start=t.datetime(program.starts_at.astimezone(local)),
            end=t.datetime(program.ends_at.astimezone(local)),
        ),
    )
    # The knowledge pre-test, or the questionnaire that is out already: this participant
    # gets them now.
    notices = await feedback.welcome(
        context.db,
        program,
        joined.participant,
        now=context.bot_data.clock(),
        rules=feedback.Rules.from_settings(context.settings),
    )
    if notices:
        await context.notify(notices)
    if joined.participant.nip is None:
        assert program.id is not None
        await JOIN.start(update, context, JoinDraft(), ref=program.id)


@requires(Need.ANYONE)
async def join_command(update: Update, context: SuaraContext) -> None:
    """/gabung KODE"""
    if not context.args:
        context.reply(update, context.t("join.usage"))
        return
    await join_program(update, context, context.args[0].strip().upper())


async def join_link(update: Update, context: SuaraContext, payload: str) -> None:
    await join_program(update, context, payload.partition("_")[2].upper())


@requires(Need.ANYONE)
async def my_trainings(update: Update, context: SuaraContext) -> None:
    """The ASN's programs, each with where its questionnaire stands."""
    context.answer(update)
    tg_user = update.effective_user
    if tg_user is None:
        return
    t = context.t
    programs = await store.programs_of_participant(context.db, tg_user.id)
    if not programs:
        context.reply(update, t("trainings.none"))
        return
    lines = [t("trainings.title")]
    rows: list[list[Button]] = []
    for program in programs:
        assert program.id is not None
        response = await response_for(
            context.db,
            subject_kind=PROGRAM_SUBJECT,
            subject_id=program.id,
            respondent_id=tg_user.id,
        )
        if response is not None and response.status == RESPONSE_SUBMITTED:
            state = t("trainings.answered")
        elif response is not None and response.status == RESPONSE_OPEN:
            state = t("trainings.to_answer", closes=t.date(program.closes_at))
            assert response.id is not None
            rows.append(
                [(t("trainings.fill", title=program.title[:40]), FillQuestionnaire(response.id))]
            )
        elif program.status == PROGRAM_CLOSED:
            state = t("trainings.closed")
        else:
            state = t("trainings.waiting", end=t.date(program.ends_at))
        lines.append(t("trainings.item", title=program.title, state=state))
    mine = await certificate_handlers.mine_text(context, tg_user.id)
    if mine:
        lines += ["", mine]
    context.reply(update, "\n".join(lines), keyboard(rows) if rows else None)


async def supervisor_link(update: Update, context: SuaraContext, payload: str) -> None:
    """A supervisor opens the link a participant passed on: three questions about the change
    they saw, answered in their own chat."""
    tg_user = update.effective_user
    followup_id = feedback.supervisor_link_target(payload, link_secret(context))
    followup = await context.db.get(Response, followup_id) if followup_id else None
    if tg_user is None or followup is None or followup.subject_kind != feedback.FOLLOWUP_SUBJECT:
        context.reply(update, context.t("start.unknown_link"))
        return
    if followup.respondent_id == tg_user.id:
        context.reply(update, context.t("supervisor.not_yourself"))
        return
    try:
        response = await feedback.open_supervisor_response(
            context.db, followup=followup, supervisor_id=tg_user.id
        )
    except feedback.SupervisorLinkUsed:
        context.reply(update, context.t("supervisor.link_used"))
        return
    await resume(update, context, response)


# -- training needs (/usul) --------------------------------------------------------------------


class ProposalDraft(BaseModel):
    topic: str | None = None
    unit_page: int = 0
    unit_query: str | None = None


class Topic(Step[ProposalDraft]):
    name = "topic"

    async def ask(self, turn: Turn[ProposalDraft]) -> None:
        turn.reply(turn.t("proposal.ask_topic", maximum=service.TOPIC_MAX))

    async def on_message(self, turn: Turn[ProposalDraft], message: Message) -> str:
        topic = (message.text or "").strip()
        if not service.TOPIC_MIN <= len(topic) <= service.TOPIC_MAX:
            raise Invalid("proposal.invalid", minimum=service.TOPIC_MIN, maximum=service.TOPIC_MAX)
        turn.draft.topic = topic
        return NEXT


class ProposalUnit(UnitPicker[ProposalDraft]):
    """Which unit should hear it: the active units, paged, or found by writing."""

    name = "unit"
    question = "units.ask_proposal"

    async def chosen(self, turn: Turn[ProposalDraft], choice: UnitChoice) -> str:
        context = turn.context
        if not turn.draft.topic:
            raise Stale
        try:
            await service.propose(
                context.db,
                unit_id=choice.id,
                proposer_id=turn.user_id,
                topic=turn.draft.topic,
                now=context.bot_data.clock(),
                proposer_key=person_key(context.settings, turn.user_id),
            )
        except ProgramError as exc:
            raise Invalid(exc.key, **exc.values) from None
        turn.edit(turn.t("proposal.saved", unit=await unit_label(context.db, choice.id)))
        return END


PROPOSAL = Flow(name="proposal", code="u", draft=ProposalDraft, steps=[Topic(), ProposalUnit()])


@requires(Need.ANYONE)
async def propose_command(update: Update, context: SuaraContext) -> None:
    """/usul: any ASN proposes a training topic to a unit."""
    context.answer(update)
    if context.user is None or context.user.consent_at is None:
        context.reply(update, context.t("start.please_start"))
        return
    await PROPOSAL.start(update, context, ProposalDraft())


@requires(Need.ORGANIZER)
async def proposals_command(update: Update, context: SuaraContext) -> None:
    """/usulan: the proposals made to the organizer's units, newest first, without names."""
    t = context.t
    scope = (await context.access()).unit_scope()
    proposals, total = await store.proposals_of_units(context.db, scope, limit=20)
    lines = [t("proposal.list_title", total=total, shown=len(proposals))]
    for proposal in proposals:
        lines.append(
            t(
                "proposal.list_item",
                date=t.date(proposal.created_at),
                unit=await unit_label(context.db, proposal.unit_id),
                topic=shorten(proposal.topic, 300),
            )
        )
    if not proposals:
        lines.append(t("proposal.none"))
    context.reply(update, "\n".join(lines))


def register(application: Application) -> None:
    PROPOSAL.register(application)
    application.add_handler(command(["usul", "propose"], propose_command))
    application.add_handler(command(["usulan", "proposals"], proposals_command))
    application.bot_data.menu_items["usul"] = propose_command
    JOIN.register(application)
    application.add_handler(command(["gabung", "join"], join_command))
    application.bot_data.deep_links[DEEP_LINK_PREFIX] = join_link
    application.bot_data.deep_link_roles[DEEP_LINK_PREFIX] = ROLE_ASN
    application.bot_data.menu_items["pelatihan"] = my_trainings
    application.add_handler(command(["pelatihan", "trainings"], my_trainings))
    application.bot_data.deep_links[feedback.SUPERVISOR_LINK_PREFIX] = supervisor_link
    application.bot_data.deep_link_roles[feedback.SUPERVISOR_LINK_PREFIX] = ROLE_ASN
