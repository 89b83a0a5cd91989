"""Inline keyboards from (label, button) rows; each button packs itself (bot/buttons.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.buttons import ButtonData


@dataclass(frozen=True)
class WebAppLink:
    """A button that opens a page of the workspace as a Mini App (`path` under its https
    address); left out where the workspace is not served over https."""

    path: str


Button = tuple[str, ButtonData]
T = TypeVar("T")


def keyboard(
    rows: Iterable[Sequence[tuple[str, ButtonData | WebAppLink]]],
    *,
    web_app_base: str | None = None,
) -> InlineKeyboardMarkup:
    built = []
    for row in rows:
        buttons = []
        for label, data in row:
            if isinstance(data, WebAppLink):
                if web_app_base:
                    url = web_app_base.rstrip("/") + data.path
                    buttons.append(InlineKeyboardButton(label, web_app=WebAppInfo(url=url)))
                continue
            buttons.append(InlineKeyboardButton(label, callback_data=data.pack()))
        if buttons:
            built.append(buttons)
    return InlineKeyboardMarkup(built)


def columns(buttons: Sequence[Button], width: int = 2) -> list[list[Button]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def page_of(items: Sequence[T], page: int, size: int) -> tuple[list[T], int, int]:
    """The items on page `page` (clamped to the pages there are), the page, and how many."""
    pages = max(1, -(-len(items) // size))
    page = max(0, min(page, pages - 1))
    return list(items[page * size : (page + 1) * size]), page, pages


def pager(
    page: int, pages: int, labels: tuple[str, str], data: Callable[[int], ButtonData]
) -> list[Button]:
    """◀️ / ▶️ buttons for a paged list; `data(n)` is the button of page n."""
    row: list[Button] = []
    if page > 0:
        row.append((labels[0], data(page - 1)))
    if page < pages - 1:
        row.append((labels[1], data(page + 1)))
    return row
