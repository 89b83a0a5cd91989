"""The workspace's questionnaire editor: organizers build their unit's forms, admins shared ones.

A draft is a copy of a version's definition being changed, one per form code, stored in a
table of its own (bot/storage/questionnaires.py QuestionnaireDraft) so that no program can be
given it. Each operation changes one thing and checks the item it makes; publishing reads the
draft with the same rules as an XLSForm import (the definition's own checks, then the
workbook's round trip, then xlsform's versioning), so a published form is one an import would
have stored and its export reads back unchanged.

Who may change what: a unit's form, its unit's organizers and the admins; a shared form (no
unit), the admins. Anyone else is told the form does not exist.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Safe
from bot.services import xlsform
from bot.services.access import Access, Need
from bot.services.errors import NotFound, Refused
from bot.services.questionnaires import (
    DEFAULT_ROLES,
    FACTS,
    ITEMS_MAX,
    SCALE_POINTS_MAX,
    Condition,
    Question,
    Relevance,
    Template,
)
from bot.services.text import clean_text
from bot.storage import questionnaires as store
from bot.storage.places import all_units, get_place
from bot.storage.programs import MODES
from bot.storage.questionnaires import QuestionnaireDraft
from bot.storage.types import utcnow

KINDS = ("scale", "choice", "text", "integer", "note")
# The roles an organizer gives an item (what the digest and the reports look for).
ROLES = (
    "overall", "material", "instructor", "facilities", "organisation", "hard",
    "suggestion", "action_plan",
)  # fmt: skip
ACTIONS = ("add", "edit", "up", "down", "delete", "title", "condition")
# What the editor's condition control offers: always, the program's mode, an earlier answer.
WHEN = ("always", "mode", "answer")
TEXT_MAX = 300
CODE = re.compile(r"[a-z0-9_]{1,32}")


@dataclass(frozen=True)
class Editing:
    """What the editor shows: the draft's definition (or the latest version's, before the
    first change) and whose form it is."""

    code: str
    unit_id: int | None
    definition: dict[str, Any]
    base_version: int | None
    drafted: bool

    @property
    def questions(self) -> list[dict[str, Any]]:
        return list(self.definition.get("questions", []))


@dataclass(frozen=True)
class Change:
    """One operation of the editor's form: the action, the item's index, the fields."""

    action: str
    index: int | None = None
    fields: dict[str, str] = field(default_factory=dict)


def _owns(caller: Access, unit_id: int | None) -> bool:
    """A shared form is the admins'; a unit's form its organizers' (and the admins')."""
    if caller.banned:
        return False
    return caller.admin if unit_id is None else caller.handles(unit_id)


async def load(session: AsyncSession, caller: Access, code: str) -> Editing:
    """The form `code` as the caller may edit it; NotFound for anyone not allowed."""
    caller.require(Need.ORGANIZER)
    draft = await store.draft_of(session, code)
    if draft is not None:
        if not _owns(caller, draft.unit_id):
            raise NotFound("editor.unknown", code=code)
        return Editing(code, draft.unit_id, dict(draft.definition), draft.base_version, True)
    latest = await store.latest_template(session, code)
    if latest is None or not _owns(caller, latest.unit_id):
        raise NotFound("editor.unknown", code=code)
    return Editing(code, latest.unit_id, dict(latest.definition), latest.version, False)


async def copy_form(
    session: AsyncSession, caller: Access, *, source: str, code: str, unit_id: int | None
) -> QuestionnaireDraft:
    """A new form `code` for the caller's unit, as a draft: a copy of the latest version of
    `source` (a shared form or one of the caller's), or empty when `source` is ''."""
    caller.require(Need.ORGANIZER)
    # A forged unit id (no such unit) is refused like a missing one.
    if unit_id is None or not caller.handles(unit_id) or not await get_place(session, unit_id):
        raise Refused("editor.unit_needed")
    code = code.strip().lower()
    if not CODE.fullmatch(code):
        raise Refused("editor.code_invalid")
    if await store.latest_template(session, code) or await store.draft_of(session, code):
        raise Refused("editor.code_taken", code=code)
    if source:
        latest = await store.latest_template(session, source)
        if latest is None or not (latest.unit_id is None or caller.handles(latest.unit_id)):
            raise NotFound("editor.unknown", code=source)
        definition = {**latest.definition, "code": code, "version": 1}
    else:
        definition = {
            "code": code,
            "version": 1,
            "title": {"id": code, "en": code},
            "source": "",
            "questions": [],
        }
    draft = QuestionnaireDraft(code=code, unit_id=unit_id, definition=definition)
    session.add(draft)
    await session.flush()
    return draft


async def change(session: AsyncSession, caller: Access, code: str, step: Change) -> None:
    """One operation on the draft of `code` (made from the latest version on the first
    change); a change that would make an item the chat cannot ask is refused whole."""
    editing = await load(session, caller, code)
    questions = editing.questions
    if step.action not in ACTIONS:
        raise Refused("editor.action_unknown")
    definition = dict(editing.definition)
    if step.action == "title":
        definition["title"] = {
            "id": _text(step.fields, "title_id"),
            "en": _text(step.fields, "title_en"),
        }
    elif step.action == "add":
        if len(questions) >= ITEMS_MAX:
            raise Refused("editor.too_many", maximum=ITEMS_MAX)
        questions.append(_checked(_new_item(step.fields, questions)))
    else:
        index = _index(step.index, questions)
        if step.action == "condition":
            questions[index] = _conditioned(questions, index, step.fields)
        elif step.action == "edit":
            questions[index] = _checked(_edited(questions[index], step.fields))
        elif step.action == "delete":
            del questions[index]
        else:
            other = index - 1 if step.action == "up" else index + 1
            if 0 <= other < len(questions):
                questions[index], questions[other] = questions[other], questions[index]
    # A change that leaves a condition naming an item not asked before it (moved below it,
    # deleted, no longer a choice) is refused whole, with the two items named.
    _conditions_look_back(questions)
    definition["questions"] = questions
    await _save(session, editing, definition)


async def discard(session: AsyncSession, caller: Access, code: str) -> Discarded:
    """Throws the draft of `code` away; the published versions (and the programs given them)
    stay as they are. Audited as the caller's; NotFound for anyone not allowed."""
    caller.require(Need.ORGANIZER)
    draft = await store.draft_of(session, code)
    if draft is None or not _owns(caller, draft.unit_id):
        # No draft to discard: the same answer as another unit's, unless the form is theirs.
        latest = await store.latest_template(session, code)
        if latest is not None and _owns(caller, latest.unit_id):
            raise Refused("editor2.no_draft", code=code)
        raise NotFound("editor.unknown", code=code)
    published = await store.latest_template(session, code)
    items = len(draft.definition.get("questions", []))
    caller.audit(session, "questionnaire_discard", "draft", draft.id, code)
    await session.delete(draft)
    await session.flush()
    return Discarded(code, published.version if published is not None else None, items)


@dataclass(frozen=True)
class Discarded:
    """What discarding did: the draft's code and items, and the version that stays (None:
    the form was never published, so it is gone)."""

    code: str
    version: int | None
    items: int

    def notice(self) -> tuple[str, dict[str, object]]:
        """The text key and values that tell the caller what happened."""
        if self.version is None:
            return "editor2.discarded_new", {"code": self.code}
        return "editor2.discarded", {"code": self.code, "version": self.version}


async def publish(
    session: AsyncSession, caller: Access, code: str, *, shared: bool = False
) -> xlsform.Stored:
    """The draft as the next version of `code`, by xlsform's rules (the same questions as
    the latest version store nothing); `shared` (admins only) makes it every unit's form.
    The draft is gone afterwards. Audited as the caller's."""
    editing = await load(session, caller, code)
    if shared:
        caller.require(Need.ADMIN)
    if not editing.drafted:
        raise Refused("editor.nothing_to_publish")
    template = _in_its_languages(_valid_template(editing.definition))
    # pyxform's reading is CPU work (tens of milliseconds): off the event loop, as an import.
    await asyncio.to_thread(_round_trip, template)
    unit_id = None if shared else editing.unit_id
    stored = await xlsform.store_version(
        session, caller, template, unit_id, "questionnaire_publish"
    )
    draft = await store.draft_of(session, code)
    if draft is not None:
        await session.delete(draft)
        await session.flush()
    return stored


async def preview(session: AsyncSession, caller: Access, code: str) -> Template:
    """The definition as the chat would read it (defaults filled in); refused with the first
    reason when it is not a form yet (no items, say). Publishing checks more (the round trip)."""
    return _valid_template((await load(session, caller, code)).definition)


# -- checking ---------------------------------------------------------------------------------


def _valid_template(definition: dict[str, Any]) -> Template:
    """The definition's own checks, as an import makes them (codes, scales, conditions)."""
    try:
        return Template.model_validate({**definition, "version": 1})
    except ValueError as exc:
        raise Refused("editor.not_a_form", reason=xlsform._first_error(exc)) from None


def _in_its_languages(template: Template) -> Template:
    """A form in one language (an XLSForm with Indonesian labels only) that was given words
    of its own in the other becomes a form in both: nothing typed is dropped (its other
    items keep repeating the Indonesian in English, as they did)."""
    if template.languages is None:
        return template
    own = any(
        words.id != words.en
        for q in template.questions
        for words in (q.text, q.hint, q.section, *(o.label for o in q.options))
        if words is not None
    ) or any(q.labels.get("id") != q.labels.get("en") for q in template.questions if q.labels)
    own = own or template.title.id != template.title.en
    return template.model_copy(update={"languages": None}) if own else template


def _round_trip(template: Template) -> None:
    """What the export writes must read back as the same form (pyxform's checks included),
    so a published form is one an import of its own export would store unchanged."""
    try:
        again = xlsform.read_workbook(xlsform.write_workbook(template))
    except xlsform.FormRefused as refused:
        reason = ", ".join(problem.key for problem in refused.problems)
        raise Refused("editor.not_a_form", reason=reason) from None
    if again.model_dump(exclude={"version"}) != template.model_dump(exclude={"version"}):
        raise Refused("editor.not_a_form", reason="XLSForm")


def _checked(item: dict[str, Any]) -> dict[str, Any]:
    """The item as the chat can ask it, or Refused with the reason."""
    try:
        question = Question.model_validate(item)
    except ValueError as exc:
        raise Refused("editor.item_invalid", reason=xlsform._first_error(exc)) from None
    return question.model_dump(mode="json", exclude_none=False)


def _askable_before(questions: list[dict[str, Any]], index: int) -> dict[str, dict[str, Any]]:
    """The items before `index` a condition may name: a single choice or rating (not one
    asked per instructor, whose answers are many), by code."""
    return {
        str(q["code"]): q
        for q in questions[:index]
        if q.get("kind") in ("scale", "choice") and not q.get("per_instructor")
    }


def answer_values(item: dict[str, Any]) -> list[str]:
    """The values an answer to a choice or rating item can have: its options' codes, its
    scale's points (as the chat stores them: "1".."5")."""
    if item.get("kind") == "choice":
        return [str(option["code"]) for option in item.get("options", [])]
    return [str(point) for point in range(int(item.get("min", 1)), int(item.get("max", 5)) + 1)]


def _conditioned(
    questions: list[dict[str, Any]], index: int, fields: dict[str, str]
) -> dict[str, Any]:
    """The item at `index` with the condition the form's controls say: always; only when the
    program's mode is one of MODES; only when an earlier choice's answer is one option."""
    when = (fields.get("when", "") or "").strip()
    item = dict(questions[index])
    if when == "always":
        item["relevant"] = None
    elif when == "mode":
        mode = (fields.get("mode", "") or "").strip()
        if mode not in MODES:
            raise Refused("editor2.mode_unknown")
        item["relevant"] = Relevance(conditions=[Condition(on="mode", value=mode)])
    elif when == "answer":
        on, _, value = (fields.get("answer", "") or "").strip().partition(":")
        earlier = _askable_before(questions, index)
        if on not in earlier:
            raise Refused("editor2.answer_not_earlier")
        if value not in answer_values(earlier[on]):
            raise Refused("editor2.answer_unknown")
        item["relevant"] = Relevance(conditions=[Condition(on=on, value=value)])
    else:
        raise Refused("editor2.when_unknown")
    return _checked(item)


def _conditions_look_back(questions: list[dict[str, Any]]) -> None:
    """Every condition names the mode, or a choice or rating asked before its item, with a
    value that item can have: else Refused, naming the item and the one it depends on."""
    for index, item in enumerate(questions):
        relevant = item.get("relevant") or {}
        earlier = _askable_before(questions, index)
        for condition in relevant.get("conditions", []):
            on = str(condition.get("on", ""))
            if on in FACTS:
                continue
            values = {"number": index + 1, "item": _short(item), "on": on}
            if on not in earlier:
                depended = next((q for q in questions if q.get("code") == on), None)
                if depended is not None:
                    values["on"] = _short(depended)
                raise Refused("editor2.condition_order", **values)
            if str(condition.get("value", "")) not in answer_values(earlier[on]):
                values["on"] = _short(earlier[on])
                raise Refused("editor2.condition_value", **values)


def _short(item: dict[str, Any]) -> str:
    """An item as a refusal names it: its Indonesian words, shortened."""
    text = str((item.get("text") or {}).get("id", "") or item.get("code", ""))
    return text if len(text) <= 60 else text[:57] + "..."


def _index(index: int | None, questions: list[dict[str, Any]]) -> int:
    if index is None or not 0 <= index < len(questions):
        raise Refused("editor.no_item")
    return index


def _text(fields: dict[str, str], name: str, *, required: bool = True) -> str:
    value = clean_text(fields.get(name, "") or "")
    if required and not value:
        raise Refused("editor.text_empty")
    if len(value) > TEXT_MAX:
        raise Refused("editor.text_long", maximum=TEXT_MAX, length=len(value))
    return value


def _lines(fields: dict[str, str], name: str) -> list[str]:
    """The words of a scale's points or a choice's options, one a line."""
    raw = (fields.get(name, "") or "").replace("\r", "")
    lines = [line.strip() for line in raw.split("\n") if line.strip()]
    for line in lines:
        if len(line) > TEXT_MAX:
            raise Refused("editor.text_long", maximum=TEXT_MAX, length=len(line))
    return lines


def _role(fields: dict[str, str], kind: str, current: str = "") -> str:
    role = (fields.get("role", "") or "").strip()
    if not role:
        return DEFAULT_ROLES[kind]
    if role not in ROLES and role != current:
        raise Refused("editor.role_unknown")
    return role


def _words(fields: dict[str, str], kind: str, item: dict[str, Any]) -> None:
    """A scale's points and their words, a choice's options: from the lines of both
    languages (the same number of lines in each)."""
    words_id, words_en = _lines(fields, "words_id"), _lines(fields, "words_en")
    if len(words_id) != len(words_en):
        raise Refused("editor.words_mismatch", id=len(words_id), en=len(words_en))
    if kind == "scale":
        item.update(min=1, max=len(words_id), labels={"id": words_id, "en": words_en})
        if not 2 <= len(words_id) <= SCALE_POINTS_MAX:
            raise Refused("editor.scale_size", maximum=SCALE_POINTS_MAX)
    elif kind == "choice":
        if not 2 <= len(words_id) <= xlsform.OPTIONS_MAX:
            raise Refused("editor.options_size", maximum=xlsform.OPTIONS_MAX)
        # Relabelled options keep their codes (an answer condition names them); a new
        # number of options numbers them afresh.
        kept = [str(option["code"]) for option in item.get("options", [])]
        if len(kept) != len(words_id):
            kept = [f"o{number}" for number in range(1, len(words_id) + 1)]
        pairs = zip(kept, words_id, words_en, strict=True)
        item["options"] = [
            {"code": code, "label": {"id": label_id, "en": label_en}}
            for code, label_id, label_en in pairs
        ]


def _new_item(fields: dict[str, str], questions: list[dict[str, Any]]) -> dict[str, Any]:
    kind = (fields.get("kind", "") or "").strip()
    if kind not in KINDS:
        raise Refused("editor.kind_unknown")
    taken = {str(q.get("code")) for q in questions}
    number = len(questions) + 1
    while f"p{number}" in taken:
        number += 1
    item: dict[str, Any] = {"code": f"p{number}", "kind": kind}
    _fill(item, fields, kind)
    if kind in ("scale", "choice"):
        _words(fields, kind, item)
    return item


def _edited(item: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    kind = str(item.get("kind"))
    changed = dict(item)
    _fill(changed, fields, kind, current_role=str(item.get("role", "")))
    if kind in ("scale", "choice") and (fields.get("words_id") or fields.get("words_en")):
        _words(fields, kind, changed)
    return changed


def _fill(
    item: dict[str, Any], fields: dict[str, str], kind: str, *, current_role: str = ""
) -> None:
    """The labels, hints, required, role and per-instructor flag from the form's fields."""
    item["text"] = {"id": _text(fields, "text_id"), "en": _text(fields, "text_en")}
    hint_id = _text(fields, "hint_id", required=False)
    hint_en = _text(fields, "hint_en", required=False)
    hint = {"id": hint_id or hint_en, "en": hint_en or hint_id}
    item["hint"] = hint if hint_id or hint_en else None
    item["required"] = kind != "note" and fields.get("required") == "1"
    item["role"] = _role(fields, kind, current_role)
    per_instructor = fields.get("per_instructor") == "1" and kind != "note"
    item["per_instructor"] = per_instructor
    # A per-instructor rating offers "did not attend", as an imported form does by default.
    item["not_attended"] = per_instructor and kind == "scale"


async def _save(session: AsyncSession, editing: Editing, definition: dict[str, Any]) -> None:
    draft = await store.draft_of(session, editing.code)
    if draft is None:
        draft = QuestionnaireDraft(
            code=editing.code,
            unit_id=editing.unit_id,
            base_version=editing.base_version,
            definition=definition,
        )
    # A new dict, so that the JSON column sees the change.
    draft.definition = dict(definition)
    draft.updated_at = utcnow()
    session.add(draft)
    await session.flush()


# -- the list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """The questionnaires page: the forms the caller sees, the drafts they may edit, the
    units they may make a form for (id, name) and whether they may import workbooks."""

    forms: list[xlsform.Listed]
    drafts: list[str]
    units: list[tuple[int, str]]
    importer: bool


async def overview(session: AsyncSession, caller: Access) -> Overview:
    """What /kuesioner shows the caller (organizers and admins)."""
    forms = await xlsform.list_forms(session, caller)
    drafts = [d.code for d in await store.all_drafts(session) if _owns(caller, d.unit_id)]
    scope = caller.unit_scope()
    units = [
        (unit.id, f"{unit.name} ({unit.code})")
        for unit in await all_units(session, active_only=True)
        if unit.id is not None and (scope is None or unit.id in scope)
    ]
    return Overview(forms, drafts, units, caller.allows(Need.ADMIN))


# -- conditions in words ----------------------------------------------------------------------


def condition_words(t: Any, item: dict[str, Any], questions: list[dict[str, Any]]) -> str:
    """When the item is asked, in the reader's words ("" for always): the program's mode by
    its name, an earlier answer by its item's number and words and the option's words."""
    relevant = item.get("relevant") or {}
    conditions = relevant.get("conditions", [])
    if not conditions:
        return ""
    language = getattr(t, "language", "id")
    parts = []
    for condition in conditions:
        on, value, op = str(condition["on"]), str(condition["value"]), condition.get("op", "eq")
        if on in FACTS:
            mode = t(f"program.mode_{value}") if t.has(f"program.mode_{value}") else value
            key = "editor2.when_mode_not" if op == "ne" else "editor2.when_mode"
            parts.append(t(key, mode=Safe(mode)))
            continue
        number, depended = next(
            ((n, q) for n, q in enumerate(questions, start=1) if q.get("code") == on),
            (0, {"code": on}),
        )
        key = "editor2.when_answer_not" if op == "ne" else "editor2.when_answer"
        parts.append(
            t(
                key,
                number=number,
                item=_words_of(depended.get("text"), language) or on,
                choice=_answer_words(depended, value, language),
            )
        )
    joiner = t("editor2.or") if relevant.get("any") else t("editor2.and")
    return t("editor2.asked_only", conditions=_joined(parts, joiner))


def _joined(parts: list[str], joiner: str) -> Safe:
    """The parts (each a catalog text, its values escaped) joined by a catalog word."""
    return Safe(f" {joiner} ".join(parts))


def _words_of(text: Any, language: str) -> str:
    if not isinstance(text, dict):
        return ""
    return str(text.get(language) or text.get("id") or "")


def _answer_words(item: dict[str, Any], value: str, language: str) -> str:
    """An answer's value as the participant's button says it: the option's or the point's
    words, with the point's number."""
    if item.get("kind") == "choice":
        for option in item.get("options", []):
            if str(option.get("code")) == value:
                return _words_of(option.get("label"), language) or value
        return value
    labels = (item.get("labels") or {}).get("en" if language == "en" else "id", [])
    low = int(item.get("min", 1))
    if value.isdigit() and 0 <= int(value) - low < len(labels):
        return f"{value} {labels[int(value) - low]}"
    return value


def condition_choices(
    t: Any, questions: list[dict[str, Any]], index: int
) -> list[tuple[str, list[tuple[str, str]]]]:
    """What the condition control of the item at `index` offers for "an earlier answer": per
    earlier choice or rating (its number and words), its values as (code:value, words)."""
    language = getattr(t, "language", "id")
    offered = []
    earlier = _askable_before(questions, index)
    for number, question in enumerate(questions[:index], start=1):
        code = str(question.get("code"))
        if code not in earlier:
            continue
        heading = f"{number}. {_words_of(question.get('text'), language)}"
        values = [
            (f"{code}:{value}", _answer_words(question, value, language))
            for value in answer_values(question)
        ]
        offered.append((heading, values))
    return offered


def condition_form(item: dict[str, Any]) -> dict[str, str]:
    """What the item's condition control shows selected: when, and the mode or answer (a
    condition the controls cannot say, from an imported form, shows as "other")."""
    conditions = (item.get("relevant") or {}).get("conditions", [])
    if not conditions:
        return {"when": "always"}
    if len(conditions) == 1 and conditions[0].get("op", "eq") == "eq":
        on, value = str(conditions[0]["on"]), str(conditions[0]["value"])
        if on in FACTS:
            return {"when": "mode", "mode": value}
        return {"when": "answer", "answer": f"{on}:{value}"}
    return {"when": "other"}
