"""Inline keyboards from (label, callback data) rows, data checked against the 64-byte limit."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_CALLBACK_BYTES = 64

Button = tuple[str, str]


def keyboard(rows: Iterable[Sequence[Button]]) -> InlineKeyboardMarkup:
    built = []
    for row in rows:
        buttons = []
        for label, data in row:
            if len(data.encode()) > MAX_CALLBACK_BYTES:
                raise ValueError(f"callback data too long: {data!r}")
            buttons.append(InlineKeyboardButton(label, callback_data=data))
        if buttons:
            built.append(buttons)
    return InlineKeyboardMarkup(built)


def columns(buttons: Sequence[Button], width: int = 2) -> list[list[Button]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def pager(
    page: int, pages: int, labels: tuple[str, str], data: Callable[[int], str]
) -> list[Button]:
    """◀️ / ▶️ buttons for a paged list; `data(n)` is the callback data of page n."""
    row: list[Button] = []
    if page > 0:
        row.append((labels[0], data(page - 1)))
    if page < pages - 1:
        row.append((labels[1], data(page + 1)))
    return row
