"""Questionnaire kinds, each registered once, here: what a response is about and what follows.

A response's `subject_kind` names its kind: the training evaluation ("program", template
"pelatihan"), the citizen's SKM survey after a complaint ("complaint", "skm"), the Level 3
follow-up to the participant ("followup", "pasca") and to their supervisor ("supervisor",
"atasan"). A kind gives the line above every question (its title), the values its questions
may name (`{plan}`), who may answer it, and what happens after it is submitted (releasing
program answers in blocks, the thank-you, the link to pass to the supervisor). The runner
(bot/services/runner.py) reads it; no door decides any of it. No Telegram here: what follows a
submission is returned as data (`Thanks`, `PassToSupervisor`) for the door to show.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import knowledge, releases
from bot.services.notices import Notice
from bot.storage.complaints import Complaint
from bot.storage.programs import Program
from bot.storage.questionnaires import (
    FOLLOWUP_SUBJECT,
    POSTTEST_SUBJECT,
    PRETEST_SUBJECT,
    PROGRAM_SUBJECT,
    SKM_SUBJECT,
    SUPERVISOR_SUBJECT,
    Response,
)


@dataclass(frozen=True)
class Heading:
    """The line above every question: `title` as it is, or inside the text `key`."""

    title: str = ""
    key: str = ""


@dataclass(frozen=True)
class Thanks:
    """Say thank you with the text `key`."""

    key: str


@dataclass(frozen=True)
class PassToSupervisor:
    """Offer the signed link (bot/services/feedback.py) about this follow-up response, for the
    participant to pass on to their direct supervisor."""

    followup: int


@dataclass(frozen=True)
class TestResult:
    """The respondent's own knowledge-test scores and the right answers (after the post-test;
    bot/services/knowledge.py)."""

    result: knowledge.Result


@dataclass(frozen=True)
class Deliver:
    """Notices the submission releases for the respondent (their certificate, whose PDF the
    outbox builds after the commit)."""

    notices: tuple[Notice, ...]


After = Thanks | PassToSupervisor | Deliver | TestResult
Describe = Callable[[AsyncSession, Response], Awaitable[tuple[Heading, dict[str, str]]]]
AfterSubmit = Callable[[AsyncSession, Response, int], Awaitable[list[After]]]
# The facts about the subject its questions may depend on (questionnaires.FACTS: the mode).
Facts = Callable[[AsyncSession, Response], Awaitable[dict[str, str]]]


async def no_facts(session: AsyncSession, response: Response) -> dict[str, str]:
    return {}


def respondent_only(response: Response, user_id: int) -> bool:
    return response.respondent_id == user_id


@dataclass(frozen=True)
class Kind:
    subject: str  # Response.subject_kind
    template: str  # the template's code (bot/storage/templates/<code>.json)
    describe: Describe
    after_submit: AfterSubmit
    # The values the template's questions may name ({plan}); unnamed ones show "-".
    names: tuple[str, ...] = ()
    may_answer: Callable[[Response, int], bool] = respondent_only
    # Its answers join figures only in blocks of FEEDBACK_MIN_RESPONSES.
    in_blocks: bool = False
    facts: Facts = no_facts


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.subject in KINDS:
        raise ValueError(f"questionnaire kind {kind.subject!r} is registered twice")
    KINDS[kind.subject] = kind
    return kind


def kind_of(response: Response) -> Kind | None:
    return KINDS.get(response.subject_kind)


# -- the kinds ---------------------------------------------------------------------------


async def _program_heading(
    session: AsyncSession, response: Response
) -> tuple[Heading, dict[str, str]]:
    program = await session.get(Program, response.subject_id)
    return Heading(program.title if program else ""), {}


async def _program_facts(session: AsyncSession, response: Response) -> dict[str, str]:
    """A training's items may depend on its mode (the room for a classroom course)."""
    program = await session.get(Program, response.subject_id)
    return {"mode": program.mode} if program else {}


async def _followup_heading(
    session: AsyncSession, response: Response
) -> tuple[Heading, dict[str, str]]:
    from bot.services import feedback

    program = await session.get(Program, response.subject_id)
    plan = await feedback.action_plan(session, response.subject_id, response.respondent_id)
    heading = Heading(program.title if program else "", key="followup.title")
    return heading, {"plan": plan or "-"}


async def _supervisor_heading(
    session: AsyncSession, response: Response
) -> tuple[Heading, dict[str, str]]:
    followup = await session.get(Response, response.subject_id)
    program = await session.get(Program, followup.subject_id) if followup else None
    return Heading(program.title if program else "", key="supervisor.title"), {}


async def _skm_heading(
    session: AsyncSession, response: Response
) -> tuple[Heading, dict[str, str]]:
    complaint = await session.get(Complaint, response.subject_id)
    return Heading((complaint.ticket or "") if complaint else ""), {}


async def _released_then_thanks(
    session: AsyncSession, response: Response, minimum: int
) -> list[After]:
    await releases.after_submit(session, response, minimum=minimum)
    return [Thanks("feedback.thanks")]


async def _training_done(session: AsyncSession, response: Response, minimum: int) -> list[After]:
    from bot.services import certificates

    after = await _released_then_thanks(session, response, minimum)
    issued = await certificates.on_submit(session, response)
    return [*after, Deliver(tuple(issued))] if issued else after


async def _followup_done(session: AsyncSession, response: Response, minimum: int) -> list[After]:
    assert response.id is not None
    await releases.after_submit(session, response, minimum=minimum)
    return [Thanks("feedback.thanks"), PassToSupervisor(response.id)]


async def _skm_done(session: AsyncSession, response: Response, minimum: int) -> list[After]:
    # The rating joins the unit's IKM only with the block of the minimum it completes
    # (bot/services/releases.py): never alone, so no two figures subtract to one citizen.
    await releases.after_submit(session, response, minimum=minimum)
    return [Thanks("skm.thanks")]


TRAINING = register(
    Kind(
        subject=PROGRAM_SUBJECT,
        template="pelatihan",
        describe=_program_heading,
        after_submit=_training_done,
        in_blocks=True,
        facts=_program_facts,
    )
)
FOLLOWUP = register(
    Kind(
        subject=FOLLOWUP_SUBJECT,
        template="pasca",
        describe=_followup_heading,
        after_submit=_followup_done,
        names=("plan",),
        in_blocks=True,
    )
)
SUPERVISOR = register(
    Kind(
        subject=SUPERVISOR_SUBJECT,
        template="atasan",
        describe=_supervisor_heading,
        after_submit=_released_then_thanks,
        in_blocks=True,
    )
)
SKM = register(
    Kind(
        subject=SKM_SUBJECT,
        template="skm",
        describe=_skm_heading,
        after_submit=_skm_done,
        in_blocks=True,
    )
)


async def _test_heading(
    session: AsyncSession, response: Response
) -> tuple[Heading, dict[str, str]]:
    program = await session.get(Program, response.subject_id)
    key = (
        "knowledge.pre_title"
        if response.subject_kind == PRETEST_SUBJECT
        else "knowledge.post_title"
    )
    return Heading(program.title if program else "", key=key), {}


async def _pretest_done(session: AsyncSession, response: Response, minimum: int) -> list[After]:
    # No right answers yet: the same questions come again after the training.
    await releases.after_submit(session, response, minimum=minimum)
    return [Thanks("knowledge.pre_thanks")]


async def _posttest_done(session: AsyncSession, response: Response, minimum: int) -> list[After]:
    await releases.after_submit(session, response, minimum=minimum)
    return [TestResult(await knowledge.result_of(session, response))]


PRETEST = register(
    Kind(
        subject=PRETEST_SUBJECT,
        template="uji_prima",
        describe=_test_heading,
        after_submit=_pretest_done,
        in_blocks=True,
    )
)
POSTTEST = register(
    Kind(
        subject=POSTTEST_SUBJECT,
        template="uji_prima",
        describe=_test_heading,
        after_submit=_posttest_done,
        in_blocks=True,
    )
)
