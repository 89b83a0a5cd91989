"""Bot API calls as plain data: what the reply buffer and the outbox hold, and how they run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, MenuButton

from bot.render import split_html


@dataclass(frozen=True)
class ApiCall:
    """One Bot API call in JSON form: what the reply buffer and the outbox both hold."""

    method: str
    params: dict[str, Any]


_OBJECT_FIELDS: dict[str, Any] = {
    "reply_markup": InlineKeyboardMarkup,
    "link_preview_options": LinkPreviewOptions,
    "menu_button": MenuButton,
}


async def perform(bot: Bot, call: ApiCall) -> Any:
    """Makes the call with PTB's typed method (camelCase alias), objects rebuilt from JSON."""
    params = dict(call.params)
    for name, kind in _OBJECT_FIELDS.items():
        value = params.get(name)
        if isinstance(value, dict):
            params[name] = kind.de_json(value, bot)
    return await getattr(bot, call.method)(**params)


def message_call(
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> ApiCall:
    params: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    if markup is not None:
        params["reply_markup"] = markup.to_dict()
    return ApiCall("sendMessage", params)


def message_calls(
    chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> list[ApiCall]:
    """The text as one message, or as several when Telegram would refuse it whole; the
    buttons go under the last part."""
    parts = split_html(text)
    return [
        message_call(chat_id, part, markup if number == len(parts) else None)
        for number, part in enumerate(parts, start=1)
    ]
