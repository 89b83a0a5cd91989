"""Organizers' own questionnaires as XLSForm workbooks (ODK, KoboToolbox, SurveyCTO, Ona).

XLSForm is a way in and out of Suara's one definition format (`questionnaires.Template`, the
JSON of bot/storage/templates), not a second one. pyxform, the format's reference reader, reads
the workbook and checks it (ODK Validate is never called: it needs Java); this module then
refuses, row by row, what a chat cannot ask, and converts the rest. Nothing is stored unless
the whole form is accepted. `write_workbook` writes a definition back in the same shape, so
export then import gives the same definition.

Suara's own columns: `suara_role` (what an item means to the digest), `suara_per_instructor`,
`suara_not_attended` (a per-instructor rating offering "did not attend this session"),
`suara_max_length` (a written answer's length); on the choices sheet, `suara_correct` (yes:
a knowledge test's right answer, bot/services/knowledge.py). `${mode}` in `relevant` is
the program's mode.
"""

from __future__ import annotations

import asyncio
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from openpyxl import Workbook
from pyxform import xls2json, xls2json_backends
from pyxform.errors import PyXFormError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import questionnaires
from bot.services.access import Access, Need
from bot.services.errors import NotFound
from bot.services.questionnaires import (
    FACTS,
    INSTRUCTOR_PLACEHOLDER,
    ITEMS_MAX,
    LANGUAGES,
    ROLES,
    SCALE_POINTS_MAX,
    Condition,
    Localized,
    Option,
    Question,
    Relevance,
    Template,
)
from bot.storage import questionnaires as store
from bot.storage.programs import MODES
from bot.storage.questionnaires import QuestionnaireTemplate

ID, EN = "Bahasa Indonesia (id)", "English (en)"
SURVEY_COLUMNS = (
    "type", "name", f"label::{ID}", f"label::{EN}", f"hint::{ID}", f"hint::{EN}", "required",
    "relevant", "suara_role", "suara_per_instructor", "suara_not_attended", "suara_max_length",
)  # fmt: skip
# Rows a Kobo form carries that ask nothing: the phone's metadata, never read here.
METADATA = {
    "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber",
    "username", "email", "audit", "start-geopoint",
}  # fmt: skip
_REFUSED_TYPES = {
    "geopoint": "location", "geotrace": "location", "geoshape": "location",
    "image": "media", "audio": "media", "video": "media", "file": "media",
    "background-audio": "media", "barcode": "media",
    "begin_repeat": "repeat", "begin repeat": "repeat", "calculate": "calculate",
    "select_multiple": "multiple", "select multiple": "multiple", "rank": "multiple",
}  # fmt: skip
_ASKED = {"select_one", "select one", "text", "integer", "int", "note"}
_GROUPS = {"begin_group", "begin group", "end_group", "end group", "end_repeat", "end repeat"}
_REFUSED_COLUMNS = ("constraint", "calculation", "choice_filter", "repeat_count", "trigger")
_YES = {"yes", "true", "true()", "1", "ya"}
_NO = {"", "no", "false", "false()", "0", "tidak"}
_CONDITION = re.compile(
    r"^\s*(?:\$\{(?P<name>\w+)\}\s*(?P<op>!?=)\s*(?P<q>['\"])(?P<value>[^'\"]*)(?P=q)"
    r"|selected\(\s*\$\{(?P<sname>\w+)\}\s*,\s*(?P<sq>['\"])(?P<svalue>[^'\"]*)(?P=sq)\s*\))\s*$"
)
OPTIONS_MAX = 8


@dataclass(frozen=True)
class Problem:
    """One thing refused: the survey row (0: the workbook as a whole) and a text key."""

    row: int
    key: str
    values: dict[str, object]


class FormRefused(Exception):
    """The workbook cannot be a Suara questionnaire: every problem found, with its row."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


# -- reading ----------------------------------------------------------------------------------


def read_workbook(source: Path | bytes) -> Template:
    """The definition in an XLSForm workbook (.xlsx); FormRefused lists every problem."""
    try:
        data = xls2json_backends.get_xlsform(
            io.BytesIO(source) if isinstance(source, bytes) else source
        )
    except (PyXFormError, OSError, ValueError, KeyError) as exc:
        raise FormRefused([Problem(0, "xlsform.unreadable", {"reason": str(exc)})]) from None
    rows = [dict(row) for row in data.survey]
    problems = _refused_rows(rows)
    if problems:
        raise FormRefused(problems)
    # pyxform checks the references in `relevant`: ${mode} is Suara's, so it is declared
    # to pyxform (after the form's rows, which keeps pyxform's row numbers right).
    data.survey = [*data.survey, {"type": "hidden", "name": "mode"}]
    try:
        form = xls2json.workbook_to_json(data, warnings=[])
    except (PyXFormError, ValueError, KeyError, TypeError) as exc:
        # pyxform's own checks say PyXFormError; a workbook odd enough to trip it otherwise
        # is refused the same way rather than failing the caller.
        raise FormRefused([Problem(0, "xlsform.pyxform", {"reason": str(exc)})]) from None
    settings = dict(data.settings[0]) if data.settings else {}
    choices = {
        (str(c.get("list_name", "")), str(c.get("name", ""))): dict(c) for c in data.choices
    }
    converter = _Converter(rows, choices)
    questions = converter.questions(form.get("children", []), None)
    if converter.problems:
        raise FormRefused(converter.problems)
    languages = [code for code in LANGUAGES if code in converter.languages] or [LANGUAGES[0]]
    return _template(settings, form, questions, languages)


def _raw_texts(row: dict[str, Any] | None, column: str) -> dict[str, str] | None:
    """The row's own words in `column`, by language: pyxform straightens typographic quotes,
    and the form's words are kept as written."""
    texts: dict[str, str] = {}
    for key, value in (row or {}).items():
        head, _, language = str(key).partition("::")
        if head.strip() == column and str(value).strip():
            texts[language.strip() or "default"] = str(value)
    return texts or None


def _refused_rows(rows: list[dict[str, Any]]) -> list[Problem]:
    """What a chat cannot ask, before pyxform reads on: one problem per row."""
    problems: list[Problem] = []
    for number, row in enumerate(rows, start=2):
        kind = " ".join(str(row.get("type", "")).split()).lower()
        if not kind:
            continue
        base = _base_type(kind)
        if base in _REFUSED_TYPES:
            reason = _REFUSED_TYPES[base]
            problems.append(Problem(number, f"xlsform.refuse_{reason}", {"type": kind}))
        elif base in METADATA or base in _GROUPS:
            continue
        elif base not in _ASKED:
            problems.append(Problem(number, "xlsform.refuse_type", {"type": kind}))
        elif str(row.get("name", "")).strip() in FACTS:
            problems.append(Problem(number, "xlsform.reserved_name", {"name": row["name"]}))
        for column in _REFUSED_COLUMNS:
            if str(row.get(column, "")).strip():
                problems.append(Problem(number, "xlsform.refuse_column", {"column": column}))
    return problems


def _base_type(kind: str) -> str:
    """ "select_one skala" -> "select_one"; "begin group" stays; "integer" stays."""
    for prefix in ("select_one", "select one", "select_multiple", "select multiple"):
        if kind.startswith(prefix):
            return prefix.replace(" ", "_")
    return kind if kind in _GROUPS or kind in _REFUSED_TYPES else kind.split(" ")[0]


class _Converter:
    """pyxform's reading of the survey -> Suara's questions, collecting problems by row."""

    def __init__(
        self, rows: list[dict[str, Any]], choices: dict[tuple[str, str], dict[str, Any]]
    ) -> None:
        # A sheet's first line is its header: the form's first row is line 2 of the sheet.
        self.rows = {
            str(r["name"]).strip(): n for n, r in enumerate(rows, start=2) if r.get("name")
        }
        self.raw = {str(r["name"]).strip(): r for r in rows if r.get("name")}
        self.raw_choices = choices
        self.problems: list[Problem] = []
        self.asked: dict[str, Question] = {}
        # The languages every question so far has its label in.
        self.languages: set[str] = set(LANGUAGES)

    def refuse(self, name: str, key: str, /, **values: object) -> None:
        self.problems.append(Problem(self.rows.get(name, 0), key, values))

    def questions(
        self, children: list[dict[str, Any]], section: Localized | None
    ) -> list[Question]:
        result: list[Question] = []
        for child in children:
            kind, name = child.get("type", ""), str(child.get("name", ""))
            if kind == "group":
                if name == "meta" or child.get("control", {}).get("bodyless"):
                    continue
                label = self.words(child, "label") if child.get("label") else section
                result += self.questions(child.get("children", []), label)
            elif kind in ("select one", "text", "integer", "note"):
                question = self.question(child, section)
                if question is not None:
                    result.append(question)
                    self.asked[question.code] = question
        return result

    def words(self, child: dict[str, Any], column: str) -> Localized:
        raw = _raw_texts(self.raw.get(str(child.get("name", ""))), column)
        return _localized(raw or child.get(column))

    def choice_words(self, child: dict[str, Any], choice: dict[str, Any]) -> Localized:
        key = (str(child.get("list_name", "")), str(choice.get("name", "")))
        raw = _raw_texts(self.raw_choices.get(key), "label")
        return _localized(raw or choice.get("label") or choice["name"])

    def correct(self, child: dict[str, Any], choice: dict[str, Any]) -> bool:
        """A knowledge test's right answer: `suara_correct` yes on its row of the choices."""
        key = (str(child.get("list_name", "")), str(choice.get("name", "")))
        return _flag((self.raw_choices.get(key) or {}).get("suara_correct", "")) is True

    def question(self, child: dict[str, Any], section: Localized | None) -> Question | None:
        name = str(child["name"])
        label = child.get("label")
        if not label:
            self.refuse(name, "xlsform.label_missing")
            return None
        raw = _raw_texts(self.raw.get(name), "label")
        self.languages &= _languages_of(raw or label)
        bind = child.get("bind", {})
        fields: dict[str, Any] = {
            "code": name,
            "text": self.words(child, "label"),
            "section": section,
            "hint": self.words(child, "hint") if child.get("hint") else None,
            "required": _flag(bind.get("required", "")) is True,
            "per_instructor": _flag(child.get("suara_per_instructor", "")) is True,
        }
        if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
            self.refuse(name, "xlsform.name_invalid", name=name)
            return None
        fields.update(self.kind_of(child, fields["per_instructor"]))
        fields.update(self.role_and_length(child))
        relevant = str(bind.get("relevant", "")).strip()
        if relevant:
            fields["relevant"] = self.relevance(name, relevant)
        if not fields["per_instructor"] and any(
            INSTRUCTOR_PLACEHOLDER in (words.id + words.en)
            for words in (fields["text"], fields["section"], fields["hint"])
            if words is not None
        ):
            self.refuse(name, "xlsform.instructor_outside", placeholder=INSTRUCTOR_PLACEHOLDER)
            return None
        for flag in ("suara_per_instructor", "suara_not_attended"):
            if _flag(child.get(flag, "")) is None:
                self.refuse(name, "xlsform.flag_invalid", column=flag)
        if _flag(bind.get("required", "")) is None:
            self.refuse(name, "xlsform.required_invalid")
        try:
            return Question.model_validate(fields)
        except ValueError as exc:
            self.refuse(name, "xlsform.question_invalid", reason=_first_error(exc))
            return None

    def kind_of(self, child: dict[str, Any], per_instructor: bool) -> dict[str, Any]:
        kind, name = child["type"], str(child["name"])
        if kind != "select one":
            return {"kind": kind}
        choices = child.get("choices", [])
        codes = [str(choice.get("name", "")) for choice in choices]
        points = [int(code) for code in codes if code.isascii() and code.isdigit()]
        if len(points) == len(codes) and points == list(range(points[0], points[0] + len(points))):
            if not 2 <= len(points) <= SCALE_POINTS_MAX:
                self.refuse(name, "xlsform.scale_size", maximum=SCALE_POINTS_MAX)
            labels = [self.choice_words(child, choice) for choice in choices]
            # A participant who missed an instructor's session may say so, unless the form
            # says no.
            written = str(child.get("suara_not_attended", "")).strip()
            return {
                "kind": "scale",
                "min": points[0],
                "max": points[-1],
                "labels": {"id": [x.id for x in labels], "en": [x.en for x in labels]},
                "not_attended": _flag(written) is True if written else per_instructor,
            }
        if not 2 <= len(choices) <= OPTIONS_MAX:
            self.refuse(name, "xlsform.options_size", maximum=OPTIONS_MAX)
        for code in codes:
            if not re.fullmatch(r"[a-z0-9_]{1,16}", code):
                self.refuse(name, "xlsform.option_invalid", option=code)
        return {
            "kind": "choice",
            "options": [
                Option.model_construct(
                    code=str(choice["name"]),
                    label=self.choice_words(child, choice),
                    correct=self.correct(child, choice),
                )
                for choice in choices
            ],
        }

    def role_and_length(self, child: dict[str, Any]) -> dict[str, Any]:
        name, fields = str(child["name"]), dict[str, Any]()
        role = str(child.get("suara_role", "")).strip()
        if role and role not in ROLES:
            self.refuse(name, "xlsform.role_unknown", role=role, roles=", ".join(ROLES))
        elif role:
            fields["role"] = role
        length = str(child.get("suara_max_length", "")).strip()
        if length:
            if not length.isdigit() or not 1 <= int(length) <= 4000:
                self.refuse(name, "xlsform.length_invalid", maximum=4000)
            else:
                fields["max_length"] = int(length)
        return fields

    def relevance(self, name: str, expression: str) -> Relevance | None:
        """`${mode} = 'klasikal'`, `${item} != 'x'`, `selected(${item}, 'x')`, joined by all
        `and` or all `or`: what Suara can decide. Anything else is refused."""
        joiners = set(re.findall(r"\s(and|or)\s", expression))
        if len(joiners) > 1:
            self.refuse(name, "xlsform.relevant_mixed")
            return None
        parts = re.split(r"\s(?:and|or)\s", expression)
        conditions: list[Condition] = []
        for part in parts:
            match = _CONDITION.match(part)
            if match is None:
                self.refuse(name, "xlsform.relevant_unsupported", expression=part.strip())
                return None
            on = match["name"] or match["sname"]
            value = match["value"] if match["name"] else match["svalue"]
            op: Literal["eq", "ne", "selected"] = (
                "selected" if match["sname"] else ("ne" if match["op"] == "!=" else "eq")
            )
            if on in FACTS:
                if value not in MODES:
                    self.refuse(name, "xlsform.mode_unknown", value=value, modes=", ".join(MODES))
                    return None
            elif (
                on not in self.asked
                or self.asked[on].kind not in ("scale", "choice")
                or (self.asked[on].per_instructor)
            ):
                self.refuse(name, "xlsform.relevant_reference", name=on)
                return None
            elif value not in (self.asked[on].values() or set()):
                # As the editor refuses renumbering an option a condition names.
                self.refuse(name, "xlsform.relevant_value", name=on, value=value)
                return None
            conditions.append(Condition(on=on, op=op, value=value))
        return Relevance(conditions=conditions, any=joiners == {"or"})


def _template(
    settings: dict[str, Any], form: dict[str, Any], questions: list[Question], languages: list[str]
) -> Template:
    code = str(settings.get("form_id") or form.get("id_string") or "").strip()
    problems: list[Problem] = []
    if not re.fullmatch(r"[a-z0-9_]{1,32}", code):
        problems.append(Problem(0, "xlsform.form_id_invalid", {"code": code}))
    if not questions:
        problems.append(Problem(0, "xlsform.no_questions", {}))
    if len(questions) > ITEMS_MAX:
        problems.append(Problem(0, "xlsform.too_many", {"maximum": ITEMS_MAX}))
    version = str(settings.get("version", "")).strip()
    title_id = str(settings.get(f"form_title::{ID}") or settings.get("form_title") or code)
    title_en = str(settings.get(f"form_title::{EN}") or title_id)
    if problems:
        raise FormRefused(problems)
    try:
        return Template(
            code=code,
            version=int(version) if version.isdigit() and int(version) >= 1 else 1,
            title=Localized(id=title_id.strip(), en=title_en.strip()),
            source=str(settings.get("suara_source", "")).strip(),
            questions=questions,
            languages=languages,
        )
    except ValueError as exc:
        raise FormRefused(
            [Problem(0, "xlsform.question_invalid", {"reason": _first_error(exc)})]
        ) from None


def _language(name: str) -> str | None:
    """ "Bahasa Indonesia (id)" -> "id"; "English" -> "en"; a plain `label` -> None."""
    code = re.search(r"\((\w+)\)\s*$", name)
    if code:
        return code.group(1).lower()
    lowered = name.strip().lower()
    if lowered in ("indonesian", "bahasa indonesia", "bahasa", "indonesia"):
        return "id"
    return "en" if lowered == "english" else None


def _languages_of(label: Any) -> set[str]:
    """The languages a label has words in; a plain `label` is the form's Indonesian."""
    if not isinstance(label, dict):
        return {LANGUAGES[0]} if str(label).strip() else set()
    return {_language(name) or LANGUAGES[0] for name, text in label.items() if str(text).strip()}


def _localized(label: Any) -> Localized:
    """Both languages of a label: one missing takes the other (a plain label serves both)."""
    if not isinstance(label, dict):
        return Localized(id=str(label).strip(), en=str(label).strip())
    by_code = {_language(name): str(text).strip() for name, text in label.items() if text}
    plain = by_code.get(None, "")
    indonesian = (
        by_code.get("id") or plain or by_code.get("en") or next(iter(by_code.values()), "")
    )
    return Localized(id=indonesian, en=by_code.get("en") or plain or indonesian)


def _flag(value: object) -> bool | None:
    """yes/no as XLSForm writes it (True, False; None: neither)."""
    text = str(value).strip().lower()
    return True if text in _YES else False if text in _NO else None


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return str(first.get("msg", exc)).removeprefix("Value error, ")
    return str(exc)


# -- writing ----------------------------------------------------------------------------------


def write_workbook(template: Template) -> bytes:
    """The definition as an XLSForm workbook that `read_workbook` reads back unchanged."""
    book = Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(list(SURVEY_COLUMNS))
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", f"label::{ID}", f"label::{EN}", "suara_correct"])
    lists: dict[tuple[Any, ...], str] = {}
    section: Localized | None = None
    for number, question in enumerate(template.questions, start=1):
        if question.section != section:
            if section is not None:
                survey.append(["end_group"])
            if question.section is not None:
                group = question.section
                survey.append(["begin_group", f"bagian_{number}", group.id, group.en])
            section = question.section
        survey.append(_survey_row(question, _list_name(question, lists, choices)))
    if section is not None:
        survey.append(["end_group"])
    for missing in (code for code in LANGUAGES if code not in template.offered):
        _blank(survey, missing)
        _blank(choices, missing)
    settings = book.create_sheet("settings")
    settings.append(
        [
            "form_title",
            f"form_title::{EN}",
            "form_id",
            "version",
            "default_language",
            "suara_source",
        ]
    )
    settings.append(
        [
            template.title.id,
            template.title.en if "en" in template.offered else "",
            template.code,
            str(template.version),
            ID if "id" in template.offered else EN,
            template.source,
        ]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _blank(sheet: Any, language: str) -> None:
    """Empties the columns of a language the form has no words in (they repeat another
    language's), so that reading the workbook back finds the form's own languages."""
    name = {"id": ID, "en": EN}[language]
    header = [cell.value for cell in sheet[1]]
    for number, head in enumerate(header, start=1):
        if isinstance(head, str) and head.endswith(f"::{name}"):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=number, max_col=number):
                cell.value = None


def _list_name(question: Question, lists: dict[tuple[Any, ...], str], sheet: Any) -> str:
    """The choice list of a select_one: scales with the same labels share one."""
    if question.kind == "scale":
        key: tuple[Any, ...] = (
            question.min,
            tuple(question.labels["id"]),
            tuple(question.labels["en"]),
        )
        rows = [
            (str(point), question.labels["id"][i], question.labels["en"][i], "")
            for i, point in enumerate(range(question.min, question.max + 1))
        ]
    elif question.kind == "choice":
        key = ("choice", question.code)
        rows = [
            (o.code, o.label.id, o.label.en, "yes" if o.correct else "") for o in question.options
        ]
    else:
        return ""
    if key not in lists:
        lists[key] = (
            f"skala_{len(lists) + 1}" if question.kind == "scale" else f"pilihan_{question.code}"
        )
        for row in rows:
            sheet.append([lists[key], *row])
    return lists[key]


def _survey_row(question: Question, list_name: str) -> list[object]:
    kind = f"select_one {list_name}" if list_name else question.kind
    hint = question.hint
    return [
        kind,
        question.code,
        question.text.id,
        question.text.en,
        hint.id if hint else "",
        hint.en if hint else "",
        "" if question.kind == "note" else ("yes" if question.required else "no"),
        _expression(question.relevant),
        question.role,
        "yes" if question.per_instructor else "no",
        "yes" if question.not_attended else "no",
        str(question.max_length) if question.kind == "text" else "",
    ]


def _expression(relevance: Relevance | None) -> str:
    if relevance is None:
        return ""
    parts = [
        f"selected(${{{c.on}}}, '{c.value}')"
        if c.op == "selected"
        else f"${{{c.on}}} {'!=' if c.op == 'ne' else '='} '{c.value}'"
        for c in relevance.conditions
    ]
    return (" or " if relevance.any else " and ").join(parts)


# -- storing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """What an import did: the stored version, and whether it was new."""

    template: QuestionnaireTemplate
    new: bool


def _content(definition: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in definition.items() if key != "version"}


async def store_form(session: AsyncSession, caller: Access, template: Template) -> Stored:
    """Adds the form as the next version of its code (programs keep the version they were
    given); the same questions as the latest version store nothing. Audited as the caller's."""
    caller.require(Need.ADMIN)
    latest = await store.latest_template(session, template.code)
    # An import keeps the form's owner: a unit's form stays the unit's.
    unit_id = latest.unit_id if latest is not None else None
    return await store_version(session, caller, template, unit_id, "questionnaire_import")


async def store_version(
    session: AsyncSession, caller: Access, template: Template, unit_id: int | None, action: str
) -> Stored:
    """The one rule of versions, for an import and for the workspace editor's publishing:
    the next version of the code, unless the questions equal the latest version's (and its
    owner is the same); audited as `action`. The caller is checked by the caller of this."""
    definition = template.model_dump(mode="json")
    latest = await store.latest_template(session, template.code)
    if (
        latest is not None
        and _content(latest.definition) == _content(definition)
        and latest.unit_id == unit_id
    ):
        return Stored(latest, new=False)
    version = latest.version + 1 if latest is not None else 1
    row = QuestionnaireTemplate(
        code=template.code,
        version=version,
        definition={**definition, "version": version},
        unit_id=unit_id,
    )
    session.add(row)
    await session.flush()
    caller.audit(session, action, "questionnaire", row.id, f"{row.code} v{version}")
    return Stored(row, new=True)


async def export_form(session: AsyncSession, caller: Access, code: str) -> tuple[Template, bytes]:
    """The latest version of the questionnaire `code` as an XLSForm workbook."""
    caller.require(Need.ORGANIZER)
    try:
        row = await questionnaires.latest(session, code)
    except LookupError:
        raise NotFound("xlsform.unknown_code", code=code) from None
    if row.unit_id is not None and not caller.handles(row.unit_id):
        raise NotFound("xlsform.unknown_code", code=code)
    assert row.id is not None
    template = await questionnaires.template_of(session, row.id)
    return template, write_workbook(template)


@dataclass(frozen=True)
class Listed:
    """A questionnaire as the workspace lists it: its code, latest version and title."""

    code: str
    version: int
    title: Localized
    unit_id: int | None = None  # None: shared


async def list_forms(session: AsyncSession, caller: Access) -> list[Listed]:
    """Every questionnaire's latest version the caller may see, by code: an admin all of
    them, an organizer the shared ones and those of their units."""
    caller.require(Need.ORGANIZER)
    latest: dict[str, QuestionnaireTemplate] = {}
    for row in await store.all_templates(session):
        if row.code not in latest or row.version > latest[row.code].version:
            latest[row.code] = row
    return [
        Listed(
            row.code,
            row.version,
            Localized.model_validate(row.definition["title"]),
            row.unit_id,
        )
        for _, row in sorted(latest.items())
        if row.unit_id is None or caller.handles(row.unit_id)
    ]


async def import_form(session: AsyncSession, caller: Access, data: bytes) -> Stored:
    """An uploaded workbook, read and stored as `store_form` does; the caller is checked
    before the file is read. FormRefused lists the problems (nothing is stored)."""
    caller.require(Need.ADMIN)
    if not data:
        raise FormRefused([Problem(0, "xlsform.web_no_file", {})])
    # pyxform's reading is CPU work (tens of milliseconds): off the event loop.
    template = await asyncio.to_thread(read_workbook, data)
    return await store_form(session, caller, template)
