"""The one unit picker of every flow: units with their region, paged, searched by typing.

A flow's unit step subclasses `UnitPicker` and says which units it offers (`choices`, active
ones by default) and what choosing one does (`chosen`). While the picker is open, a written
message is a search: every word must appear in the unit's name, region or code. The draft
keeps the page and the search (`unit_page`, `unit_query`), so a restart shows the same list.
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel
from telegram import InlineKeyboardMarkup, Message

from bot.handlers.flow import STAY, Invalid, Stale, Step, Turn
from bot.i18n import Safe
from bot.keyboards import Button, keyboard, page_of, pager
from bot.render import shorten
from bot.storage.places import UnitChoice, get_place, offered_units

PAGE_SIZE = 8
QUERY_MAX = 60
LABEL_MAX = 80


class PickerDraft(Protocol):
    unit_page: int
    unit_query: str | None


P = TypeVar("P", bound=BaseModel)


def unit_rows(
    t: Any,
    choices: list[UnitChoice],
    page: int,
    button: Any,
    page_button: Any,
    *,
    size: int = PAGE_SIZE,
) -> tuple[list[list[Button]], int, int]:
    """One page of units as button rows ("Dinas Kesehatan · Kab. Lampung Selatan", a
    deactivated one marked), with the pager; for flow steps and plain buttons alike."""
    shown, page, pages = page_of(choices, page, size)
    rows: list[list[Button]] = []
    for choice in shown:
        label = shorten(choice.label, LABEL_MAX)
        if not choice.active:
            label = f"⏸ {label}"  # a button label is plain text: no markup, no escaping
        rows.append([(label, button(choice))])
    rows.append(pager(page, pages, (t("common.previous"), t("common.next")), page_button))
    return rows, page, pages


class UnitPicker(Step[P], Generic[P]):
    """A flow step choosing one unit; the draft must have `unit_page` and `unit_query`."""

    question = ""  # text key of the question above the list

    async def choices(self, turn: Turn[P]) -> list[UnitChoice]:
        """The units offered: by default every active unit (as this process read them in the
        last OFFERED_FOR seconds; what is chosen is checked again when it is used)."""
        return await offered_units(turn.context.db, query=self._draft(turn).unit_query)

    async def chosen(self, turn: Turn[P], choice: UnitChoice) -> str:
        raise NotImplementedError

    async def ask(self, turn: Turn[P]) -> None:
        turn.reply(*await self.view(turn))

    def _draft(self, turn: Turn[P]) -> PickerDraft:
        return turn.draft  # type: ignore[return-value]

    async def view(self, turn: Turn[P]) -> tuple[str, InlineKeyboardMarkup]:
        t, draft = turn.t, self._draft(turn)
        choices = await self.choices(turn)
        rows, page, pages = unit_rows(
            t,
            choices,
            draft.unit_page,
            lambda c: turn.button("", str(c.id))[1],
            lambda n: turn.button("", f"p{n}")[1],
        )
        if draft.unit_query:
            rows.append([turn.button(t("units.search_clear"), "all")])
            found = t("units.search_found", query=draft.unit_query, count=len(choices))
        else:
            found = t("units.search_hint")
        text = t(
            "units.pick",
            question=Safe(t(self.question)),
            page=page + 1,
            pages=pages,
            found=Safe(found),
        )
        return turn.numbered(text), keyboard(rows)

    async def on_button(self, turn: Turn[P], value: str) -> str:
        draft = self._draft(turn)
        if value == "all":
            draft.unit_query, draft.unit_page = None, 0
        elif value.startswith("p") and value[1:].isdigit() and len(value) < 6:
            draft.unit_page = int(value[1:])
        elif value.isdigit() and len(value) < 10:
            offered = {c.id: c for c in await self.choices(turn)}
            choice = offered.get(int(value))
            if choice is None or choice.active:
                # Read again: the list may be the process's copy of a few seconds ago
                # (`offered_units`), and another worker may have deactivated the unit since.
                place = await get_place(turn.context.db, int(value))
                if place is not None and not place.active:
                    raise Invalid("units.inactive", unit=place.name)
                if choice is None or place is None:
                    raise Stale
            return await self.chosen(turn, choice)
        else:
            raise Stale
        turn.edit(*await self.view(turn))
        return STAY

    async def waits_for_text(self, turn: Turn[P]) -> bool:
        return False  # a search is typed anew: an edited message is no search

    async def on_message(self, turn: Turn[P], message: Message) -> str:
        """A written message searches the list."""
        query = " ".join((message.text or "").split())
        if not query:
            raise Invalid("units.search_text")
        draft = self._draft(turn)
        draft.unit_query, draft.unit_page = query[:QUERY_MAX], 0
        turn.reply(*await self.view(turn))
        return STAY
