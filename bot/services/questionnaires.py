"""The questionnaire engine: questions as data, answers one row per question, final on submit.

Templates live in bot/storage/templates/*.json in both languages and are copied into the
database at start-up (a new version is added beside the old one, never over it). A response
asks the template's questions in order; questions marked `per_instructor` are asked once for
each instructor of the subject. No Telegram here: bot/handlers/questionnaire.py asks the
questions in the chat.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import releases
from bot.services.errors import Refused
from bot.services.text import clean_text
from bot.storage import questionnaires as store
from bot.storage.questionnaires import (
    NO_INSTRUCTOR,
    RESPONSE_OPEN,
    RESPONSE_SUBMITTED,
    Answer,
    QuestionnaireTemplate,
    Response,
)
from bot.storage.types import utcnow

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "storage" / "templates"
Sentiment = Callable[[str], tuple[str, float]]


class Localized(BaseModel):
    id: str
    en: str

    def __call__(self, language: str) -> str:
        return self.en if language == "en" else self.id


class Option(BaseModel):
    code: str = Field(pattern=r"^[a-z0-9_]{1,16}$")
    label: Localized
    # The right answer of a knowledge-test question (bot/services/knowledge.py).
    correct: bool = False


# What an item means, whatever its code: the digest, the follow-up and the exports find
# items by role. A question without one gets a default from its kind (see Template).
ROLES = (
    # the training evaluation (Level 1)
    "overall", "material", "method", "instructor", "facilities", "organisation",
    "hard", "suggestion", "action_plan",
    # the follow-up (Level 3) and the supervisor
    "applied", "plan_progress", "example", "support", "change", "note",
    # the SKM's nine elements (PermenPANRB 14/2017)
    "requirements", "procedure", "service_time", "cost", "product", "competence", "conduct",
    "complaint_handling",
    # defaults by kind
    "rating", "choice", "comment", "number", "info",
)  # fmt: skip
DEFAULT_ROLES = {
    "scale": "rating", "choice": "choice", "text": "comment", "integer": "number", "note": "info",
}  # fmt: skip
# The facts about a subject a question may depend on (bot/services/kinds.py gives them).
FACTS = ("mode",)
# The answer to a per-instructor item that says "I did not attend this session": no score.
NOT_ATTENDED = "absent"
INTEGER_MAX = 1_000_000
# One rule for every door (the XLSForm import, the workspace's editor): a scale of up to
# eleven points (0..10, "how likely are you to recommend"), and as many items as the chat's
# review can show.
SCALE_POINTS_MAX = 11
ITEMS_MAX = 60
# Where an item asked per instructor names them; in any other item there is no name.
INSTRUCTOR_PLACEHOLDER = "{instructor}"
# Templates stored before questions had roles (the shipped version 1 of each): their roles.
LEGACY_ROLES: dict[str, dict[str, str]] = {
    "pelatihan": {
        "relevansi": "material", "pemahaman": "material", "metode": "method",
        "penguasaan": "instructor", "penyampaian": "instructor", "sarana": "facilities",
        "layanan": "organisation", "manfaat": "overall", "sulit": "hard",
        "saran": "suggestion", "rencana": "action_plan",
    },
    "pasca": {
        "penerapan": "applied", "rencana": "plan_progress", "contoh": "example",
        "dukungan": "support",
    },
    "atasan": {"perubahan": "change", "penerapan": "applied", "catatan": "note"},
    "skm": {
        "u1": "requirements", "u2": "procedure", "u3": "service_time", "u4": "cost",
        "u5": "product", "u6": "competence", "u7": "conduct", "u8": "complaint_handling",
        "u9": "facilities",
    },
}  # fmt: skip


class Condition(BaseModel):
    """One test of `relevant`: a fact of the subject (its mode) or an earlier answer equals
    (`eq`), differs from (`ne`) or selected (`selected`) `value`."""

    on: str
    op: Literal["eq", "ne", "selected"] = "eq"
    value: str

    def holds(self, actual: str | None) -> bool:
        return actual != self.value if self.op == "ne" else actual == self.value


class Relevance(BaseModel):
    """When a question is asked: all its conditions hold (or one, with `any`)."""

    conditions: list[Condition] = Field(min_length=1)
    any: bool = False

    def holds(self, known: Callable[[str], str | None]) -> bool:
        results = [condition.holds(known(condition.on)) for condition in self.conditions]
        return any(results) if self.any else all(results)


class Question(BaseModel):
    code: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    kind: Literal["scale", "choice", "text", "integer", "note"]
    # What the item means (one of ROLES); empty: filled in by the template (a default).
    role: str = ""
    text: Localized
    section: Localized | None = None
    min: int = 1
    max: int = 5
    labels: dict[str, list[str]] = {}
    options: list[Option] = []
    required: bool = True
    per_instructor: bool = False
    max_length: int = 1000
    hint: Localized | None = None
    # Asked only when this holds (None: always).
    relevant: Relevance | None = None
    # A per-instructor rating that offers "did not attend this session" (NOT_ATTENDED).
    not_attended: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.kind == "scale":
            points = self.max - self.min + 1
            if not 2 <= points <= SCALE_POINTS_MAX or self.min < 0:
                raise ValueError(f"{self.code}: a scale has 2-{SCALE_POINTS_MAX} points from 0 up")
            for language in ("id", "en"):
                if len(self.labels.get(language, [])) != points:
                    raise ValueError(f"{self.code}: {points} labels needed in {language}")
        if self.kind == "choice" and not 2 <= len(self.options) <= 8:
            raise ValueError(f"{self.code}: a choice has 2-8 options")
        if sum(option.correct for option in self.options) > 1:
            raise ValueError(f"{self.code}: a test question has one correct option")
        if self.role and self.role not in ROLES:
            raise ValueError(f"{self.code}: unknown role {self.role!r}")
        if self.not_attended and not (self.per_instructor and self.kind == "scale"):
            raise ValueError(f"{self.code}: only a per-instructor rating offers not attended")
        if not self.per_instructor and names_instructor(self):
            raise ValueError(
                f"{self.code}: {INSTRUCTOR_PLACEHOLDER} outside a per-instructor item"
            )
        if self.kind == "note":
            self.required = False
        return self

    def values(self) -> set[str] | None:
        """What an answer to a scale or a choice can be, as a condition names it (None: any
        other kind, which no condition names)."""
        if self.kind == "scale":
            return {str(point) for point in range(self.min, self.max + 1)}
        if self.kind == "choice":
            return {option.code for option in self.options}
        return None

    def label(self, language: str, score: int) -> str:
        return self.labels["en" if language == "en" else "id"][score - self.min]


def names_instructor(question: Question) -> bool:
    """Whether the item's words put an instructor's name somewhere (text, section, hint)."""
    words = [question.text, question.section, question.hint]
    return any(INSTRUCTOR_PLACEHOLDER in (w.id + w.en) for w in words if w is not None)


# The languages a form may carry its words in, in the order a program falls back to them.
LANGUAGES = ("id", "en")


class Template(BaseModel):
    code: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    version: int = Field(ge=1)
    title: Localized
    source: str = ""
    questions: list[Question]
    # The languages every item has its own words in, when not all of LANGUAGES (an XLSForm
    # with Indonesian labels only: its `en` words repeat the Indonesian). Not stored when
    # None, so the versions stored before it was known read and compare as they were.
    languages: list[str] | None = Field(default=None, exclude_if=lambda value: value is None)

    @model_validator(mode="after")
    def _known_languages(self) -> Template:
        if self.languages is not None:
            known = [code for code in LANGUAGES if code in self.languages]
            if not known or len(known) != len(set(self.languages)):
                raise ValueError(f"{self.code}: languages must be some of {LANGUAGES}")
            self.languages = None if len(known) == len(LANGUAGES) else known
        return self

    @property
    def offered(self) -> tuple[str, ...]:
        """The form's languages, Indonesian first."""
        return tuple(self.languages or LANGUAGES)

    @model_validator(mode="after")
    def _unique_codes(self) -> Template:
        codes = [q.code for q in self.questions]
        if len(set(codes)) != len(codes) or not codes:
            raise ValueError(f"{self.code}: question codes must be unique and present")
        if len(codes) > ITEMS_MAX:
            raise ValueError(f"{self.code}: at most {ITEMS_MAX} items")
        # An older stored template has no roles: those of its shipped version, else by kind.
        legacy = LEGACY_ROLES.get(self.code, {})
        for question in self.questions:
            if not question.role:
                question.role = legacy.get(question.code) or DEFAULT_ROLES[question.kind]
        return self

    @model_validator(mode="after")
    def _conditions_look_back(self) -> Template:
        # A condition names a fact, or a single answer given before the question is reached.
        # Its value is one the answer can be, or the question could never be asked.
        earlier: dict[str, set[str] | None] = {}
        for question in self.questions:
            conditions = question.relevant.conditions if question.relevant else []
            for condition in conditions:
                if condition.on in FACTS:
                    continue
                if condition.on not in earlier:
                    raise ValueError(f"{question.code}: {condition.on!r} is not asked before")
                if condition.value not in (earlier[condition.on] or set()):
                    raise ValueError(
                        f"{question.code}: {condition.on!r} has no value {condition.value!r}"
                    )
            if question.kind in ("scale", "choice") and not question.per_instructor:
                earlier[question.code] = question.values()
        return self

    def with_role(self, *roles: str) -> list[Question]:
        """The questions that mean one of `roles`, in the template's order."""
        return [q for q in self.questions if q.role in roles]


@dataclass(frozen=True)
class Item:
    """One thing asked: a question, about one instructor where it is asked per instructor."""

    question: Question
    instructor: int = NO_INSTRUCTOR
    instructor_name: str = ""


class AnswerError(Refused):
    """A rule of answers said no."""


def chosen_languages(template: Template, chosen: list[str] | None) -> tuple[str, ...]:
    """The languages a program asks its form in: those of `chosen` the form has (in the
    form's order), all of the form's when none is chosen or none of the choice is left."""
    kept = tuple(code for code in template.offered if chosen is None or code in chosen)
    return kept or template.offered


def asked_in(offered: tuple[str, ...], language: str) -> str:
    """The language a respondent is asked a form in: their own when it is offered, else the
    first offered (Indonesian first). The bot's own texts stay in their language."""
    return language if language in offered else offered[0]


def read_template_files(directory: Path = TEMPLATES_DIR) -> list[Template]:
    return [
        Template.model_validate(json.loads(path.read_text("utf-8")))
        for path in sorted(directory.glob("*.json"))
    ]


async def seed_templates(session: AsyncSession, directory: Path = TEMPLATES_DIR) -> int:
    """Adds the shipped templates the database does not have yet (by code and version)."""
    added = 0
    for template in read_template_files(directory):
        if await store.template_version(session, template.code, template.version) is None:
            session.add(
                QuestionnaireTemplate(
                    code=template.code,
                    version=template.version,
                    definition=template.model_dump(mode="json"),
                )
            )
            added += 1
    return added


_parsed: dict[int, Template] = {}


async def template_of(session: AsyncSession, template_id: int) -> Template:
    """The template by id; rows never change, so each is parsed once per process."""
    if template_id not in _parsed:
        row = await session.get(QuestionnaireTemplate, template_id)
        if row is None:
            raise LookupError(f"no questionnaire template {template_id}")
        _parsed[template_id] = Template.model_validate(row.definition)
    return _parsed[template_id]


def forget_parsed() -> None:
    """Empties the cache of parsed templates: for tests, whose databases each number their
    own templates from 1 (in one deployment an id always means the same row)."""
    _parsed.clear()


async def latest(session: AsyncSession, code: str) -> QuestionnaireTemplate:
    row = await store.latest_template(session, code)
    if row is None:
        raise LookupError(f"no questionnaire template {code!r}")
    return row


async def latest_versions(session: AsyncSession) -> list[QuestionnaireTemplate]:
    """The latest stored version of every questionnaire code, by code."""
    latest: dict[str, QuestionnaireTemplate] = {}
    for row in await store.all_templates(session):
        if row.code not in latest or row.version > latest[row.code].version:
            latest[row.code] = row
    return [latest[code] for code in sorted(latest)]


async def codes_with_role(session: AsyncSession, template_code: str, *roles: str) -> set[str]:
    """The codes of the questions meaning one of `roles`, in any stored version of the
    template (answers keep the code of the version they were given in)."""
    rows = await store.template_ids(session, template_code)
    codes: set[str] = set()
    for template_id in rows:
        codes.update(q.code for q in (await template_of(session, template_id)).with_role(*roles))
    return codes


def items(template: Template, instructors: list[str]) -> list[Item]:
    """What is asked, in order: a run of per-instructor questions is asked for each instructor
    in turn (all of the first instructor's, then the next); without instructors it is left out."""
    result: list[Item] = []
    run: list[Question] = []

    def flush() -> None:
        for number, name in enumerate(instructors):
            result.extend(Item(q, number, name) for q in run)
        run.clear()

    for question in template.questions:
        if question.per_instructor:
            run.append(question)
            continue
        flush()
        result.append(Item(question))
    flush()
    return result


def applicable(
    asked: list[Item], facts: Mapping[str, str], answers: dict[AnswerKey, Answer]
) -> list[Item]:
    """The items whose conditions hold for this subject (its facts) and the answers so far;
    an item depending on an unanswered one waits for it (ODK reads that as empty)."""

    def known(name: str) -> str | None:
        if name in FACTS:
            return facts.get(name)
        answer = answers.get((name, NO_INSTRUCTOR))
        if answer is None:
            return None
        return answer.choice if answer.choice is not None else str(answer.score)

    return [i for i in asked if i.question.relevant is None or i.question.relevant.holds(known)]


async def open_response(
    session: AsyncSession,
    *,
    template_id: int,
    subject_kind: str,
    subject_id: int,
    respondent_id: int,
    instructors: list[str] | None = None,
) -> Response:
    """The person's response about this subject, created on first use."""
    response = await store.response_for(
        session, subject_kind=subject_kind, subject_id=subject_id, respondent_id=respondent_id
    )
    if response is None:
        response = Response(
            template_id=template_id,
            subject_kind=subject_kind,
            subject_id=subject_id,
            respondent_id=respondent_id,
            instructors=list(instructors or []),
        )
        session.add(response)
        await session.flush()
    return response


async def record(
    session: AsyncSession,
    *,
    response: Response,
    item: Item,
    value: str,
    sentiment: Sentiment | None = None,
) -> Answer:
    """Stores (or replaces) the answer to one item; refused once the response is submitted."""
    _check_open(response)
    question = item.question
    score = choice = text = None
    if question.kind == "note":
        raise AnswerError("questionnaire.use_buttons")
    if question.not_attended and value == NOT_ATTENDED:
        choice = NOT_ATTENDED
    elif question.kind == "integer":
        number = value.strip()
        if not (number.isascii() and number.isdigit() and len(number) <= 7) or (
            int(number) > INTEGER_MAX
        ):
            raise AnswerError("xlsform.integer_only", maximum=INTEGER_MAX)
        text = str(int(number))
    elif question.kind == "scale":
        if not value.strip().isdigit() or not question.min <= int(value) <= question.max:
            raise AnswerError("questionnaire.scale_only", low=question.min, high=question.max)
        score = int(value)
    elif question.kind == "choice":
        if value not in {option.code for option in question.options}:
            raise AnswerError("questionnaire.choose_option")
        choice = value
    else:
        text = clean_text(value)
        if not text:
            raise AnswerError("questionnaire.text_empty")
        if len(text) > question.max_length:
            raise AnswerError(
                "questionnaire.text_long", maximum=question.max_length, length=len(text)
            )
    assert response.id is not None
    row = await store.answer_row(
        session, response_id=response.id, question=question.code, instructor=item.instructor
    )
    if row is None:
        row = Answer(response_id=response.id, question=question.code, instructor=item.instructor)
    row.score, row.choice, row.text, row.answered_at = score, choice, text, utcnow()
    row.sentiment_label = row.sentiment_polarity = None
    if text is not None and sentiment is not None:
        row.sentiment_label, row.sentiment_polarity = sentiment(text)
    session.add(row)
    await session.flush()
    return row


async def skip(session: AsyncSession, *, response: Response, item: Item) -> None:
    """An optional question left unanswered (an earlier answer to it is removed)."""
    _check_open(response)
    if item.question.required:
        raise AnswerError("questionnaire.required")
    assert response.id is not None
    await store.remove_answer(
        session, response_id=response.id, question=item.question.code, instructor=item.instructor
    )


def _check_open(response: Response) -> None:
    if response.status == RESPONSE_SUBMITTED:
        raise AnswerError("questionnaire.already_submitted")
    if response.status != RESPONSE_OPEN:
        raise AnswerError("questionnaire.closed")


AnswerKey = tuple[str, int]


async def answers_by_item(session: AsyncSession, response: Response) -> dict[AnswerKey, Answer]:
    assert response.id is not None
    return {(a.question, a.instructor): a for a in await store.answers_of(session, response.id)}


def key_of(item: Item) -> AnswerKey:
    return item.question.code, item.instructor


def first_unanswered(asked: list[Item], answers: dict[AnswerKey, Answer]) -> int | None:
    """The first required item without an answer (None: all required ones are answered)."""
    for index, item in enumerate(asked):
        if item.question.required and key_of(item) not in answers:
            return index
    return None


async def submit(
    session: AsyncSession, *, response: Response, asked: list[Item], minimum: int | None = None
) -> None:
    """Makes the answers final; with `minimum`, also releases the block it completes
    (bot/services/releases.py; the runner leaves that to the kind, bot/services/kinds.py).
    A second submission is refused, as is a missing answer."""
    _check_open(response)
    answers = await answers_by_item(session, response)
    missing = first_unanswered(asked, answers)
    if missing is not None:
        raise AnswerError("questionnaire.missing", number=missing + 1)
    # An answer to an item no longer asked (an earlier answer changed) is not kept.
    assert response.id is not None
    for code, instructor in set(answers) - {key_of(item) for item in asked}:
        await store.remove_answer(
            session, response_id=response.id, question=code, instructor=instructor
        )
    response.status = RESPONSE_SUBMITTED
    response.submitted_at = utcnow()
    session.add(response)
    await session.flush()
    if minimum is not None:
        await releases.after_submit(session, response, minimum=minimum)
