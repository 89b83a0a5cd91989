"""Button data: every kind of button declared once, with its prefix and typed fields.

A kind packs itself into callback data (`ComplaintAction(complaint=12, action="verify")` ->
`"ax:12:verify"`), parses it back, and gives the handler pattern. Whatever
does not parse (an old layout, a forged number with 40 digits, an unknown action) parses to None,
which the handlers answer with "no longer valid". Services return these meanings (open complaint
12); the renderer turns them into buttons. Pure: no Telegram types here.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from typing import Any, ClassVar, Literal, Self

MAX_BYTES = 64  # Telegram's limit for callback_data
_SEPARATOR = ":"
_INT = re.compile(r"0|[1-9][0-9]{0,17}")  # fits a BIGINT; no signs, no leading zeros
_TOKEN = re.compile(r"[A-Za-z0-9_.-]{0,32}")
_PREFIX = re.compile(r"[a-z]{1,3}")


class ButtonData:
    """Base of every button kind; subclasses are frozen dataclasses with a `prefix`."""

    prefix: ClassVar[str]
    _kinds: ClassVar[dict[str, type[ButtonData]]] = {}
    _parsers: ClassVar[tuple[tuple[str, Any], ...] | None]

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(f"button prefix {prefix!r}: 1-3 lowercase letters")
        if prefix in ButtonData._kinds:
            raise ValueError(f"button prefix {prefix!r} is declared twice")
        cls.prefix = prefix
        cls._parsers = None
        ButtonData._kinds[prefix] = cls

    @classmethod
    def _fields(cls) -> tuple[tuple[str, Any], ...]:
        if cls._parsers is None:
            hints = typing.get_type_hints(cls)
            cls._parsers = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        return cls._parsers

    def pack(self) -> str:
        parts = [self.prefix]
        for name, kind in self._fields():
            parts.append(_dump(getattr(self, name), kind, name))
        data = _SEPARATOR.join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"button data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        """The button, or None for anything this kind would never have packed."""
        if not data or len(data.encode()) > MAX_BYTES:
            return None
        prefix, *parts = data.split(_SEPARATOR)
        fields = cls._fields()
        if prefix != cls.prefix or len(parts) != len(fields):
            return None
        values: dict[str, Any] = {}
        for (name, kind), raw in zip(fields, parts, strict=True):
            value = _load(raw, kind)
            if value is _INVALID:
                return None
            values[name] = value
        return cls(**values)

    @classmethod
    def pattern(cls) -> re.Pattern[str]:
        """Matches this kind's data (well formed or not), for the handler to register."""
        return re.compile(rf"^{cls.prefix}(?:{_SEPARATOR}|$)")


_INVALID = object()


def _dump(value: object, kind: Any, name: str) -> str:
    if kind is bool:
        return "1" if value else "0"
    text = str(value)
    if kind is int:
        if not isinstance(value, int) or not _INT.fullmatch(text):
            raise ValueError(f"{name}: {value!r} is not a non-negative integer")
    elif _SEPARATOR in text or not _TOKEN.fullmatch(text):
        raise ValueError(f"{name}: {value!r} cannot go in button data")
    elif typing.get_origin(kind) is Literal and value not in typing.get_args(kind):
        raise ValueError(f"{name}: {value!r} is not one of {typing.get_args(kind)}")
    return text


def _load(raw: str, kind: Any) -> object:
    if kind is int:
        return int(raw) if _INT.fullmatch(raw) else _INVALID
    if kind is bool:
        return {"1": True, "0": False}.get(raw, _INVALID)
    if typing.get_origin(kind) is Literal:
        return raw if raw in typing.get_args(kind) else _INVALID
    return raw if _TOKEN.fullmatch(raw) else _INVALID


def kind_of(data: str | None) -> type[ButtonData] | None:
    """The kind whose prefix this data carries (for logs and the stale-button fallback)."""
    if not data:
        return None
    return ButtonData._kinds.get(data.split(_SEPARATOR, 1)[0])


# -- the kinds --------------------------------------------------------------------------------
# One place, so prefixes are unique at a glance. Field order is the order in the data.

MenuItem = Literal["lapor", "status", "aduan", "bantuan", "bahasa", "pelatihan", "usul", "program"]


@dataclasses.dataclass(frozen=True)
class Menu(ButtonData, prefix="m"):
    """An entry of the main menu."""

    item: MenuItem


@dataclasses.dataclass(frozen=True)
class Language(ButtonData, prefix="l"):
    code: str  # a folder of locales/; the handler refuses any other


@dataclasses.dataclass(frozen=True)
class FlowStep(ButtonData, prefix="f"):
    """An answer to a step of a multi-step flow (bot/handlers/flow.py): valid only while the
    user's stored flow is `flow` at `step` (and about `ref`, when the flow is about something)."""

    flow: str
    step: str
    value: str
    ref: int = 0


ComplaintFilter = Literal["open", "baru", "diverifikasi", "ditindaklanjuti", "menunggu", "closed"]
ComplaintActionName = Literal["verify", "forward", "ask", "reply", "close", "reject"]


@dataclasses.dataclass(frozen=True)
class Inbox(ButtonData, prefix="ai"):
    """A page of an organizer's complaints inbox."""

    filter: ComplaintFilter = "open"
    page: int = 0


@dataclasses.dataclass(frozen=True)
class OpenComplaint(ButtonData, prefix="ao"):
    """An organizer opens a complaint of their unit."""

    complaint: int


@dataclasses.dataclass(frozen=True)
class ComplaintAction(ButtonData, prefix="ax"):
    complaint: int
    action: ComplaintActionName


@dataclasses.dataclass(frozen=True)
class ComplaintFiles(ButtonData, prefix="af"):
    complaint: int


@dataclasses.dataclass(frozen=True)
class BlockReporter(ButtonData, prefix="ab"):
    complaint: int


@dataclasses.dataclass(frozen=True)
class MyComplaint(ButtonData, prefix="sv"):
    """A citizen opens one of their own complaints."""

    complaint: int


@dataclasses.dataclass(frozen=True)
class AddInformation(ButtonData, prefix="sa"):
    complaint: int


@dataclasses.dataclass(frozen=True)
class MakePin(ButtonData, prefix="sp"):
    """A citizen makes the tracking PIN of their complaint filed before PINs existed."""

    complaint: int


@dataclasses.dataclass(frozen=True)
class Rate(ButtonData, prefix="r"):
    complaint: int
    stars: int


HandledAnswer = Literal["sudah", "sebagian", "belum"]


@dataclasses.dataclass(frozen=True)
class Handled(ButtonData, prefix="hd"):
    """The citizen's answer to "was it handled?" after a complaint is closed."""

    complaint: int
    answer: HandledAnswer


@dataclasses.dataclass(frozen=True)
class AssignUnit(ButtonData, prefix="g"):
    """An admin makes a forwarded user an organizer of a unit."""

    user: int
    unit: int


@dataclasses.dataclass(frozen=True)
class AssignPage(ButtonData, prefix="gp"):
    user: int
    page: int


@dataclasses.dataclass(frozen=True)
class FillQuestionnaire(ButtonData, prefix="qf"):
    """Opens (or continues) one of the user's questionnaires, from an invitation or reminder."""

    response: int


# A questionnaire's own buttons (bot/services/runner.py): each names the response and the
# question it was shown with, so it means the same after a restart, on any worker.


@dataclasses.dataclass(frozen=True)
class QuestionAnswer(ButtonData, prefix="qa"):
    """A rating's point or an option's code, as the answer to question `index`."""

    response: int
    index: int
    value: str


@dataclasses.dataclass(frozen=True)
class QuestionBack(ButtonData, prefix="qb"):
    response: int
    index: int


@dataclasses.dataclass(frozen=True)
class QuestionSkip(ButtonData, prefix="qk"):
    response: int
    index: int


@dataclasses.dataclass(frozen=True)
class QuestionNext(ButtonData, prefix="qn"):
    response: int
    index: int


@dataclasses.dataclass(frozen=True)
class ChangeAnswer(ButtonData, prefix="qc"):
    """From the review: change the answer to question `index`."""

    response: int
    index: int


@dataclasses.dataclass(frozen=True)
class SubmitAnswers(ButtonData, prefix="qs"):
    response: int


@dataclasses.dataclass(frozen=True)
class ReviewPage(ButtonData, prefix="qv"):
    """The review's page `page`: a long questionnaire's answers, a page at a time (one
    keyboard takes at most 100 buttons)."""

    response: int
    page: int


QUESTIONNAIRE_BUTTONS: tuple[type[ButtonData], ...] = (
    QuestionAnswer,
    QuestionBack,
    QuestionSkip,
    QuestionNext,
    ChangeAnswer,
    SubmitAnswers,
    ReviewPage,
)


ProgramActionName = Literal[
    "send",
    "send_yes",
    "extend",
    "close",
    "close_yes",
    "reopen",
    "edit",
    "delete",
    "delete_yes",
    "cancel",
    "qr",
    "export",
    "refresh",
    # The class list and certificates (bot/handlers/certificates.py).
    "remind",
    "roll",
    "zip",
    "siasn",
]


@dataclasses.dataclass(frozen=True)
class OpenProgram(ButtonData, prefix="po"):
    """An organizer opens a program's page."""

    program: int


@dataclasses.dataclass(frozen=True)
class ProgramAction(ButtonData, prefix="px"):
    program: int
    action: ProgramActionName


@dataclasses.dataclass(frozen=True)
class NewProgram(ButtonData, prefix="pn"):
    """Starts creating a program in the chat."""


@dataclasses.dataclass(frozen=True)
class ProgramPage(ButtonData, prefix="pp"):
    """A page of the organizer's program list (0: running and coming ones first)."""

    page: int


@dataclasses.dataclass(frozen=True)
class LiftBlock(ButtonData, prefix="lb"):
    """An admin lifts an organizer's block on a reporter."""

    block: int


@dataclasses.dataclass(frozen=True)
class StaffList(ButtonData, prefix="tl"):
    """An admin's list of organizers and admins."""

    page: int = 0


@dataclasses.dataclass(frozen=True)
class StaffMember(ButtonData, prefix="tm"):
    """One organizer or admin: their units and what can be changed."""

    user: int


@dataclasses.dataclass(frozen=True)
class StaffRemove(ButtonData, prefix="tr"):
    """Removes a staff member from a unit; unit 0 dismisses an appointed admin."""

    user: int
    unit: int


@dataclasses.dataclass(frozen=True)
class InviteFor(ButtonData, prefix="iu"):
    """Creates an invitation link for organizers of a unit; unit 0 invites an admin."""

    unit: int


@dataclasses.dataclass(frozen=True)
class InvitePage(ButtonData, prefix="ip"):
    page: int
